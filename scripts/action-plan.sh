#!/usr/bin/env bash
# The action's plan step: `orbitctl plan --output markdown` into the job summary and into one
# pull-request comment per stack, found again by its marker and updated in place.
# In (besides action-common.sh's): ORBITCTL_COMMENT (true|false), ORBITCTL_PR_NUMBER (empty off
#     pull requests), GITHUB_REPOSITORY, GH_TOKEN (for `gh api`).
# Out: has-changes=true|false, exitcode=0|1|2 in $GITHUB_OUTPUT. Exits 1 when the plan fails.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/action-common.sh"

plan_md="$work/plan.md"
run_plan markdown "$plan_md"

body="$work/comment.md"
if [[ $rc -eq 0 || $rc -eq 2 ]]; then
  marker="$(head -n 1 "$plan_md")"
  if [[ "$marker" != "<!-- orbitctl-plan:stack="*" -->" ]]; then
    echo "::error::orbitctl action: the markdown plan does not start with its marker" >&2
    exit 1
  fi
  if [[ -n "${ORBITCTL_STACK:-}" && "$marker" != "$(marker_for "$ORBITCTL_STACK")" ]]; then
    planned="${marker#<!-- orbitctl-plan:stack=}"
    echo "::error::orbitctl action: the manifests are stack ${planned% -->}, but the stack input" \
      "is $ORBITCTL_STACK; make them agree (the concurrency group must name the manifests' stack)" >&2
    exit 1
  fi
  cp "$plan_md" "$body"
  printf '\n' >> "$body"
else
  marker="$(marker_for "${ORBITCTL_STACK:-unknown}")"
  # GitHub refuses comments over 65,536 characters: the first lines of a long error (a manifest
  # with many problems), the rest in the step's log.
  shown="$work/plan.err.shown"
  clip_lines "$plan_err" 50000 head > "$shown"
  {
    printf '%s\n### orbitctl plan failed\n\n' "$marker"
    fence_file "$shown"
  } > "$body"
fi
cat "$body" >> "$summary"

case $rc in
  0) echo "has-changes=false" >> "$outputs" ;;
  2) echo "has-changes=true" >> "$outputs" ;;
esac
echo "exitcode=$rc" >> "$outputs"

# The comment is a copy of the summary: when it cannot be written (no gh on a self-hosted
# runner, a read-only token as pull requests from forks and Dependabot get) the step warns and
# its outcome stays the plan's.
comment_warning() {
  echo "::warning::orbitctl action: no plan comment: $*; the plan is in the job summary" >&2
}

# The first comment of the pull request that starts with this stack's marker, then PATCH it or
# POST a new one.
post_comment() {
  local repo="$GITHUB_REPOSITORY" ids existing
  if ! command -v gh >/dev/null 2>&1; then
    comment_warning "the GitHub CLI (gh) is not installed on this runner"
    return
  fi
  if ! ids="$(gh api --paginate "repos/$repo/issues/$ORBITCTL_PR_NUMBER/comments" \
      --jq ".[] | select(.body | startswith(\"$marker\")) | .id")"; then
    comment_warning "cannot list the pull request's comments with gh api (see above)"
    return
  fi
  existing="${ids%%$'\n'*}"
  if [[ -n "$existing" ]]; then
    gh api --method PATCH "repos/$repo/issues/comments/$existing" -F "body=@$body" >/dev/null
  else
    gh api --method POST "repos/$repo/issues/$ORBITCTL_PR_NUMBER/comments" -F "body=@$body" >/dev/null
  fi || comment_warning "cannot write the comment with gh api (the token needs" \
    "pull-requests: write; pull requests from forks get a read-only one)"
}

if [[ "${ORBITCTL_COMMENT:-true}" == "true" && -n "${ORBITCTL_PR_NUMBER:-}" ]]; then
  if [[ $rc -ne 0 && $rc -ne 2 && -z "${ORBITCTL_STACK:-}" ]]; then
    echo "orbitctl action: no pull-request comment for a failed plan without the stack input" >&2
  elif [[ -z "${GITHUB_REPOSITORY:-}" ]]; then
    comment_warning "GITHUB_REPOSITORY is not set"
  else
    post_comment
  fi
fi

[[ $rc -eq 0 || $rc -eq 2 ]] || exit 1
