#!/usr/bin/env bash
# The action's plan step: `orbitctl plan --output markdown --out PLANFILE` into the job summary
# and into one pull-request comment per stack, found again by its marker and updated in place.
# Under the plan's heading: the commit and the time, whether the apply on merge would refuse the
# plan (with the apply inputs given here, which must be the apply step's), and whether an apply
# ran while the plan read the account.
# In (besides action-common.sh's): ORBITCTL_PR_NUMBER (empty off pull requests),
#     ORBITCTL_HEAD_SHA (the pull request's head, shown in the comment), GH_TOKEN (for `gh api`).
# Out: has-changes=true|false, exitcode=0|1|2, plan-file=<path> (the saved plan; only with
#      upload-plan "true") in $GITHUB_OUTPUT. Exits 1 when the plan fails.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/action-common.sh"

if [[ "$ORBITCTL_UPLOAD_PLAN" == true && -z "${ORBITCTL_STACK:-}" ]]; then
  echo "::error::orbitctl action: upload-plan needs the stack input (the artifact is named after it)" >&2
  exit 1
fi
check_stack

plan_md="$work/plan.md"
# Saved in any case, for the warnings below; uploaded only when asked (it holds the
# configuration verbatim, webhook tokens included; orbitctl writes it mode 0600).
plan_file="$work/orbitctl-plan.json"
started=$(date +%s)
run_plan markdown "$plan_md" --out "$plan_file"

body="$work/comment.md"
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
  marker="$(marker_for "${ORBITCTL_STACK:-unknown}")"
  # GitHub refuses comments over 65,536 characters: the first lines of a long error (a manifest
  # with many problems), the rest in the step's log.
  shown="$work/plan.err.shown"
  clip_lines "$plan_err" 50000 head > "$shown"
  {
    printf '%s\n### orbitctl plan failed\n\n%s\n\n' "$marker" "$(stamp planned)"
    fence_file "$shown"
  } > "$body"
fi
cat "$body" >> "$summary"

case $rc in
  0) echo "has-changes=false" >> "$outputs" ;;
  2) echo "has-changes=true" >> "$outputs" ;;
esac
echo "exitcode=$rc" >> "$outputs"

# The first comment of the pull request that starts with this stack's marker, then PATCH it or
# POST a new one.
post_comment() {
  local ids
  if ! ids="$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$ORBITCTL_PR_NUMBER/comments" \
      --jq ".[] | select(.body | startswith(\"$marker\")) | .id")"; then
    comment_warning plan "cannot list the pull request's comments with gh api (see above)"
    return
  fi
  write_comment plan "$body" "$ORBITCTL_PR_NUMBER" "${ids%%$'\n'*}"
}

if [[ "$ORBITCTL_COMMENT" == "true" && -n "${ORBITCTL_PR_NUMBER:-}" ]]; then
  if [[ $rc -ne 0 && $rc -ne 2 && -z "${ORBITCTL_STACK:-}" ]]; then
    echo "orbitctl action: no pull-request comment for a failed plan without the stack input" >&2
  elif [[ -z "${GITHUB_REPOSITORY:-}" ]]; then
    comment_warning plan "GITHUB_REPOSITORY is not set"
  elif ! have_gh; then
    comment_warning plan "the GitHub CLI (gh) is not installed on this runner"
  else
    post_comment
  fi
fi

[[ $rc -eq 0 || $rc -eq 2 ]] || exit 1
