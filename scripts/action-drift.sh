#!/usr/bin/env bash
# The action's drift step: `orbitctl plan --detailed-exitcode --output json`; a drift report in
# the job summary; fails (exit 1) when the account drifted from the manifests.
# Out: has-changes=true|false, exitcode, plan-json=<path> in $GITHUB_OUTPUT.
set -uo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/action-common.sh"

plan_json="$work/plan.json"
run_plan json "$plan_json"
echo "exitcode=$rc" >> "$outputs"
echo "plan-json=$plan_json" >> "$outputs"

case $rc in
  0 | 2)
    "${ORBITCTL_PYTHON:-python3}" "$here/drift-report.py" "$plan_json" >> "$summary" || exit 1
    "${ORBITCTL_PYTHON:-python3}" "$here/drift-report.py" --brief "$plan_json"
    ;;
  *)
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
