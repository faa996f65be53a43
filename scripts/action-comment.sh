#!/usr/bin/env bash
# The action's comment step (mode comment): the last job of a plan workflow over several stacks,
# each planned in a matrix job of its own with comment "section". The sections those jobs
# uploaded (downloaded by the action into ORBITCTL_SECTIONS) become one comment (plan-comment.py):
# the job summary, and on a pull request one comment found again by its marker and updated in
# place. Only this job writes that comment, so parallel plan jobs never race to edit it.
# In (besides action-common.sh's): ORBITCTL_SECTIONS, ORBITCTL_STACKS (the stacks the comment
#     must show, separated by spaces or newlines; empty: those that sent a section),
#     ORBITCTL_PR_NUMBER (empty off pull requests), ORBITCTL_HEAD_SHA, GH_TOKEN.
# Out: exitcode (--detailed-exitcode's over the stacks: 1 when any has no plan, else 2 when any
#      has changes, else 0) and has-changes in $GITHUB_OUTPUT. Exits 1 when a stack has no plan.
set -uo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/action-common.sh"

if [[ "$ORBITCTL_COMMENT" == section ]]; then
  echo "::error::orbitctl action: comment \"section\" is for the plan jobs; this job writes the comment (\"true\" or \"false\")" >&2
  exit 1
fi
read -r -d '' -a stacks <<< "${ORBITCTL_STACKS:-}" || true
for stack in "${stacks[@]}"; do check_stack_name stacks "$stack"; done

body="$work/comment.md"
if ! rc="$("${ORBITCTL_PYTHON:-python3}" "$here/plan-comment.py" "${ORBITCTL_SECTIONS:-}" "$(stamp planned)" \
    "$body" "${stacks[@]}")"; then
  echo "::error::orbitctl action: cannot combine the stacks' sections into one comment (see above)" >&2
  exit 1
fi
cat "$body" >> "$summary"
echo "exitcode=$rc" >> "$outputs"
case $rc in
  0) echo "has-changes=false" >> "$outputs" ;;
  2) echo "has-changes=true" >> "$outputs" ;;
esac

if [[ "$ORBITCTL_COMMENT" == true && -n "${ORBITCTL_PR_NUMBER:-}" ]] && can_comment plan; then
  upsert_comment plan "$(head -n 1 "$body")" "$body" "$ORBITCTL_PR_NUMBER"
fi
if [[ $rc -eq 1 ]]; then
  echo "::error::orbitctl: the plan of a stack failed or is missing (see its section in the job summary)" >&2
  exit 1
fi
