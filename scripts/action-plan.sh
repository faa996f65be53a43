#!/usr/bin/env bash
# The action's plan step: `orbitctl plan --output markdown --out PLANFILE` into the job summary
# and into one pull-request comment per stack, found again by its marker and updated in place.
# Under the plan's heading: the commit and the time, whether the apply on merge would refuse the
# plan (with the apply inputs given here, which must be the apply step's), and whether an apply
# ran while the plan read the account. With ORBITCTL_COMMENT "section" (a matrix job of one of
# several stacks) it posts nothing: the comment is the stack's section of the one comment that
# action-comment.sh combines, uploaded by the action (a stack check that fails is a section too).
# In (besides action-common.sh's): ORBITCTL_PR_NUMBER (empty off pull requests),
#     ORBITCTL_HEAD_SHA (the pull request's head, shown in the comment), GH_TOKEN (for `gh api`).
# Out: has-changes=true|false, exitcode=0|1|2, plan-file=<path> (the saved plan; only with
#      upload-plan "true"), section=<folder> (with comment "section") in $GITHUB_OUTPUT. Exits 1
#      when the plan fails.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/action-common.sh"

if [[ "$ORBITCTL_UPLOAD_PLAN" == true && -z "${ORBITCTL_STACK:-}" ]]; then
  echo "::error::orbitctl action: upload-plan needs the stack input (the artifact is named after it)" >&2
  exit 1
fi
if [[ "$ORBITCTL_COMMENT" == section && -z "${ORBITCTL_STACK:-}" ]]; then
  echo "::error::orbitctl action: comment \"section\" needs the stack input (the section is named after it)" >&2
  exit 1
fi

body="$work/comment.md"
marker="$(marker_for "${ORBITCTL_STACK:-unknown}")"

# The comment of a failed plan: the marker, a heading, the stamp, the first lines of the error in
# FILE (GitHub refuses comments over 65,536 characters; the rest is in the step's log).
failed_body() {
  local shown="$work/plan.err.shown"
  clip_lines "$1" 50000 head > "$shown"
  {
    printf '%s\n### orbitctl plan failed%s\n\n%s\n\n' "$marker" \
      "${ORBITCTL_STACK:+ for stack <code>$ORBITCTL_STACK</code>}" "$(stamp planned)"
    fence_file "$shown"
  } > "$body"
}

# comment "section": this stack's part of the one comment a `mode: comment` job combines, for the
# action to upload as the artifact orbitctl-comment-<stack>.
write_section() {
  local folder="$work/section" outcome=(--error "$plan_err")
  mkdir -p "$folder"
  [[ $rc -eq 0 || $rc -eq 2 ]] && outcome=(--plan "$plan_file")
  helper section "$folder" "$ORBITCTL_STACK" "$rc" "$body" "${outcome[@]}" && echo "section=$folder" >> "$outputs"
}

plan_err="$work/plan.err"
plan_file="$work/orbitctl-plan.json"
if [[ "$ORBITCTL_COMMENT" == section ]]; then
  # A stack check that fails is this stack's section too, so that the comment shows it.
  if ! (check_stack) 2> "$plan_err"; then
    cat "$plan_err" >&2
    rc=1
    failed_body "$plan_err"
    cat "$body" >> "$summary"
    echo "exitcode=1" >> "$outputs"
    write_section
    exit 1
  fi
else
  check_stack
fi

plan_md="$work/plan.md"
# The saved plan ($plan_file) is made in any case, for the warnings below; uploaded only when
# asked (it holds the configuration verbatim, webhook tokens included; orbitctl writes it 0600).
started=$(date +%s)
run_plan markdown "$plan_md" --out "$plan_file"

if [[ $rc -eq 0 || $rc -eq 2 ]]; then
  marker="$(head -n 1 "$plan_md")"
  if [[ "$marker" != "<!-- orbitctl-plan:stack="*" -->" ]]; then
    echo "::error::orbitctl action: the markdown plan does not start with its marker" >&2
    exit 1
  fi
  {
    head -n 2 "$plan_md"  # the marker and the heading
    printf '\n%s\n' "$(stamp planned)"
    helper warnings "$plan_file" --allow-release "$ORBITCTL_ALLOW_RELEASE" --force "$ORBITCTL_FORCE" \
      ${max_release_percent:+--max-release-percent "$max_release_percent"}
    if [[ -n "${ORBITCTL_APPLY_WORKFLOW:-}" ]] && busy="$(applies_since "$started")" && [[ -n "$busy" ]]; then
      echo "::warning::orbitctl action: an apply ran while this plan read the account: $busy" >&2
      printf '\n> [!CAUTION]\n> An apply ran while this plan read the account (%s): the plan may be out of date;' \
        "$(tr '\n' ' ' <<< "$busy" | sed 's/ $//')"
      printf ' re-run this plan once the apply has finished.\n'
    fi
    tail -n +3 "$plan_md"
    printf '\n'
  } > "$body"
  [[ "$ORBITCTL_UPLOAD_PLAN" == true ]] && echo "plan-file=$plan_file" >> "$outputs"
else
  annotate_manifests
  failed_body "$plan_err"
fi
cat "$body" >> "$summary"

case $rc in
  0) echo "has-changes=false" >> "$outputs" ;;
  2) echo "has-changes=true" >> "$outputs" ;;
esac
echo "exitcode=$rc" >> "$outputs"

if [[ "$ORBITCTL_COMMENT" == section ]]; then
  write_section
elif [[ "$ORBITCTL_COMMENT" == "true" && -n "${ORBITCTL_PR_NUMBER:-}" ]]; then
  if [[ $rc -ne 0 && $rc -ne 2 && -z "${ORBITCTL_STACK:-}" ]]; then
    echo "orbitctl action: no pull-request comment for a failed plan without the stack input" >&2
  elif can_comment plan; then
    upsert_comment plan "$marker" "$body" "$ORBITCTL_PR_NUMBER"
  fi
fi

[[ $rc -eq 0 || $rc -eq 2 ]] || exit 1
