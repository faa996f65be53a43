#!/usr/bin/env bash
# The action's drift step: `orbitctl plan --detailed-exitcode --output json`; a drift report in
# the job summary; fails (exit 1) when the account drifted from the manifests.
# An apply running while the check reads the account makes its differences the apply's work in
# progress, not drift: when a run of the apply workflow (ORBITCTL_APPLY_WORKFLOW) was running at
# any moment of the check, the step says so, reports no drift and succeeds with a warning.
# Out: has-changes=true|false, exitcode, plan-json=<path>, inconclusive=true|false in $GITHUB_OUTPUT.
set -uo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/action-common.sh"
check_stack

# Prints the runs of the apply workflow that overlapped the check since $started (nothing when
# none, or when it cannot tell: applies_since warned).
overlapping_applies() {
  [[ -n "${ORBITCTL_APPLY_WORKFLOW:-}" ]] && applies_since "$started"
}

inconclusive() {
  local runs
  runs="$(sed 's/^/- /' <<< "$1")"
  echo "::warning::orbitctl action: an apply ran during the drift check, so it reports nothing:" \
    "$(tr '\n' ' ' <<< "$1")" >&2
  {
    printf '### orbitctl drift check%s: inconclusive\n\n' "${ORBITCTL_STACK:+ for stack <code>$ORBITCTL_STACK</code>}"
    printf '%s\n\n' "$(stamp checked)"
    printf 'An apply ran while the check read the account, so differences would be its work in\n'
    printf 'progress, not drift. No drift is reported; the next check will tell (or re-run this one\n'
    printf 'once the apply has finished).\n\n%s\n' "$runs"
  } >> "$summary"
  echo "inconclusive=true" >> "$outputs"
  exit 0
}

started=$(date +%s)
busy="$(overlapping_applies)" && [[ -n "$busy" ]] && inconclusive "$busy"

plan_json="$work/plan.json"
run_plan json "$plan_json"
echo "exitcode=$rc" >> "$outputs"
echo "plan-json=$plan_json" >> "$outputs"
[[ $rc -eq 0 || $rc -eq 2 ]] && busy="$(overlapping_applies)" && [[ -n "$busy" ]] && inconclusive "$busy"
echo "inconclusive=false" >> "$outputs"

case $rc in
  0 | 2)
    "${ORBITCTL_PYTHON:-python3}" "$here/drift-report.py" "$plan_json" >> "$summary" || exit 1
    "${ORBITCTL_PYTHON:-python3}" "$here/drift-report.py" --brief "$plan_json"
    ;;
  *)
    annotate_manifests
    { printf '### orbitctl drift check failed\n\n'; fence_file "$plan_err"; } >> "$summary"
    exit 1
    ;;
esac
if [[ $rc -eq 2 ]]; then
  echo "has-changes=true" >> "$outputs"
  echo "::error::orbitctl: the account drifted from the manifests (see the job summary)" >&2
  exit 1
fi
echo "has-changes=false" >> "$outputs"
