#!/usr/bin/env bash
# The action's apply step, in two modes:
#   apply           `orbitctl apply MANIFESTS --auto-approve` (a plan made now);
#   apply-reviewed  `orbitctl apply PLANFILE --auto-approve`: the plan saved by the plan workflow
#                   and shown in the merged pull request's comment, downloaded from that run's
#                   artifact; orbitctl refuses it, changing nothing, when the account or the
#                   manifests changed since (then this step says how to re-plan).
# Its report goes to the job summary and, as a comment, to the pull request the commit merged.
# In (besides action-common.sh's): ORBITCTL_REVIEWED (true for apply-reviewed),
#     ORBITCTL_PLAN_WORKFLOW (the plan workflow's file name), GH_TOKEN, ORBITCTL_GH_ATTEMPTS and
#     ORBITCTL_GH_RETRY_SECONDS (how often and how long apart to ask GitHub for the pull request
#     of a commit just merged, which it may not know yet).
# Out: exitcode, journal=true (when .orbitctl/journal.json exists), ports=true (when
#      .orbitctl/ports.json exists) in $GITHUB_OUTPUT; exits with apply's exit code (1 when refused).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/action-common.sh"

reviewed="${ORBITCTL_REVIEWED:-false}"
plan_workflow="${ORBITCTL_PLAN_WORKFLOW:-orbitctl-plan.yml}"
repo="${GITHUB_REPOSITORY:-}"
sha="${GITHUB_SHA:-}"
if [[ "$reviewed" == true && -z "${ORBITCTL_STACK:-}" ]]; then
  echo "::error::orbitctl action: mode apply-reviewed needs the stack input (the plan's artifact is named after it)" >&2
  exit 1
fi
if [[ "$ORBITCTL_COMMENT" == section ]]; then
  echo "::error::orbitctl action: comment \"section\" is for plan mode; an apply posts its own outcome (\"true\" or \"false\")" >&2
  exit 1
fi
check_stack

flags=(--auto-approve --parallelism "$parallelism")
[[ "$ORBITCTL_ALLOW_RELEASE" == true ]] && flags+=(--allow-release)
[[ "$ORBITCTL_FORCE" == true ]] && flags+=(--force)
[[ -n "$max_release_percent" ]] && flags+=(--max-release-percent "$max_release_percent")

# The pull request that $sha merged (merge commit, squash or rebase: its merge_commit_sha; a
# fast-forward: its head): sets pr_number, pr_head, pr_ref, or leaves them empty (and sets
# pr_error when GitHub could not be asked).
pr_number="" pr_head="" pr_ref="" pr_error=""
find_pull_request() {
  local found attempt
  [[ -n "$repo" && "$sha" =~ ^[0-9a-f]{40}$ ]] && have_gh || return 0
  for (( attempt = 1; attempt <= ${ORBITCTL_GH_ATTEMPTS:-3}; attempt++ )); do
    found="$(gh api "repos/$repo/commits/$sha/pulls" --jq ".[] | select(.merged_at != null
        and (.merge_commit_sha == \"$sha\" or .head.sha == \"$sha\")) | \"\(.number) \(.head.sha) \(.head.ref)\"")" \
      || { pr_error="cannot ask GitHub which pull request merged $sha (see above)"; return 0; }
    if [[ -n "$found" ]]; then
      read -r pr_number pr_head pr_ref <<< "${found%%$'\n'*}"
      return 0
    fi
    (( attempt < ${ORBITCTL_GH_ATTEMPTS:-3} )) && sleep "${ORBITCTL_GH_RETRY_SECONDS:-5}"
  done
}

replan_advice() {
  printf 'To re-plan: run the workflow %s on this branch (Actions → the workflow → Run workflow),' \
    "$plan_workflow"
  printf ' review the plan in its job summary, then re-run this job: it carries out that plan.'
}

# The reviewed plan: the newest run of the plan workflow for the merged pull request (one of
# its commits, from this repository, not a fork) or for $sha itself (a plan run by hand on the
# branch), and that run's artifact orbitctl-plan-<stack>. Sets plan_file and plan_run, or
# refusal (why there is none).
plan_file="" plan_run="" refusal=""
fetch_reviewed_plan() {
  local workflow="$plan_workflow" artifact="orbitctl-plan-$ORBITCTL_STACK"
  local runs="$work/plan-runs.tsv" commits="$work/pr-commits.txt" row id head status conclusion url
  # One run a line, its fields apart by the unit separator (a tab would let `read` merge an empty
  # conclusion into its neighbour), newest first once sorted.
  local fields='[.run_started_at, .id, .head_sha, .status, .conclusion, .html_url] | map(. // "" | tostring) | join("\u001f")'
  if [[ -z "$repo" ]] || ! have_gh; then
    refusal="cannot look for the reviewed plan: no gh on this runner or no GITHUB_REPOSITORY"
    return 1
  fi
  if [[ -n "$pr_error" ]]; then
    refusal="$pr_error"
    return 1
  fi
  : > "$runs"
  if [[ -n "$pr_number" ]]; then
    if ! gh api --paginate "repos/$repo/pulls/$pr_number/commits" --jq '.[].sha' > "$commits" \
        || ! gh api -X GET "repos/$repo/actions/workflows/$workflow/runs" -f event=pull_request \
          -f "branch=$pr_ref" -F per_page=100 \
          --jq ".workflow_runs[] | select(.head_repository.full_name == \"$repo\") | $fields" \
          | awk -F $'\x1f' 'NR == FNR { ours[$1] = 1; next } ($3 in ours)' "$commits" - >> "$runs"; then
      refusal="cannot list the runs of $workflow for pull request #$pr_number (the job needs permissions: actions: read)"
      return 1
    fi
  fi
  if ! gh api -X GET "repos/$repo/actions/workflows/$workflow/runs" -f event=workflow_dispatch \
      -f "head_sha=$sha" -F per_page=100 --jq ".workflow_runs[] | $fields" >> "$runs"; then
    refusal="cannot list the runs of $workflow for commit $sha (the job needs permissions: actions: read)"
    return 1
  fi
  row="$(sort -r "$runs" | head -n 1)"
  if [[ -z "$row" ]]; then
    if [[ -n "$pr_number" ]]; then
      refusal="pull request #$pr_number has no run of $workflow, so there is no reviewed plan to carry out"
    else
      refusal="commit $sha did not merge a pull request and has no run of $workflow, so there is no reviewed plan"
    fi
    return 1
  fi
  IFS=$'\x1f' read -r _ id head status conclusion url <<< "$row"
  plan_run="$url"
  if [[ "$status" != completed ]]; then
    refusal="the newest plan run ($url) has not finished; re-run this job once it has"
    return 1
  fi
  local artifact_id
  if ! artifact_id="$(gh api -X GET "repos/$repo/actions/runs/$id/artifacts" -f "name=$artifact" \
      --jq '.artifacts[] | select(.expired | not) | .id')"; then
    refusal="cannot list the artifacts of the plan run $url (the job needs permissions: actions: read)"
    return 1
  fi
  if [[ -z "$artifact_id" ]]; then
    refusal="the newest plan run ($url, commit $head, $conclusion) has no artifact $artifact: the plan failed, its step does not set upload-plan: \"true\", or the artifact expired"
    return 1
  fi
  if ! gh run download "$id" --repo "$repo" --name "$artifact" --dir "$work/reviewed" >&2; then
    refusal="cannot download the artifact $artifact of the plan run $url"
    return 1
  fi
  plan_file="$work/reviewed/orbitctl-plan.json"
  chmod 600 "$plan_file" 2>/dev/null
  echo "orbitctl action: carrying out the plan of $url (commit $head)"
  if ! helper saved-plan "$plan_file" "$ORBITCTL_STACK" "${manifests[@]}"; then
    refusal="the artifact of $url does not fit this apply step (see the error above)"
    return 1
  fi
}

[[ "$reviewed" == true || "$ORBITCTL_COMMENT" == true ]] && find_pull_request
[[ -n "$pr_error" && "$reviewed" != true ]] && echo "::warning::orbitctl action: no apply comment: $pr_error" >&2
log="$work/apply.log"
if [[ "$reviewed" == true ]] && ! fetch_reviewed_plan; then
  echo "::error::orbitctl action: refusing to apply: $refusal. $(replan_advice)" >&2
  printf '%s\n' "$refusal" > "$log"
  rc=1
else
  sources=("${manifests[@]}")
  [[ "$reviewed" == true ]] && sources=("$plan_file")
  # Into the log as it happens (an apply of many numbers takes minutes), and into a file for the
  # summary.
  orbitctl apply "${sources[@]}" "${flags[@]}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  if [[ $rc -ne 0 ]]; then
    annotate_manifests
    if grep -q "is stale" "$log"; then
      refusal="the reviewed plan no longer fits the account or the manifests"
      echo "::error::orbitctl action: $refusal; nothing was changed. $(replan_advice)" >&2
    fi
  fi
fi

report="$work/report.md"
{
  printf '<!-- orbitctl-apply:stack=%s -->\n' "${ORBITCTL_STACK:-unknown}"
  if [[ -n "${ORBITCTL_STACK:-}" ]]; then
    printf '### orbitctl apply for stack <code>%s</code>\n\n' "$ORBITCTL_STACK"
  else
    printf '### orbitctl apply\n\n'
  fi
  printf '%s\n\n' "$(stamp applied)"
  [[ -n "$plan_run" ]] && printf 'The reviewed plan: [plan run](%s).\n\n' "$plan_run"
  if [[ -n "$refusal" ]]; then
    printf '**Refused**: %s. Nothing was changed.\n\n%s\n\n' "$refusal" "$(replan_advice)"
  elif [[ $rc -eq 0 ]]; then
    printf 'Succeeded.\n\n'
  else
    printf '**Failed** (exit %s).\n\n' "$rc"
  fi
  # The end of a long apply (its outcomes and totals) within a comment's 65,536 characters.
  clip_lines "$log" 50000 tail > "$work/apply.log.shown"
  fence_file "$work/apply.log.shown"
} > "$report"
cat "$report" >> "$summary"

if [[ "$ORBITCTL_COMMENT" == true && -n "$pr_number" ]]; then
  write_comment apply "$report" "$pr_number"
fi
echo "exitcode=$rc" >> "$outputs"
# Whether there is a purchase journal for the action to keep in the cache.
[[ -f .orbitctl/journal.json ]] && echo "journal=true" >> "$outputs"
# Whether there are porting requests to remember (a second apply must not submit them again).
[[ -f .orbitctl/ports.json ]] && echo "ports=true" >> "$outputs"
exit $rc
