#!/usr/bin/env bash
# The action's validate step: `orbitctl validate` (offline: no API key, no account), each problem
# an annotation on its file and line, the result in the job summary. For pull requests that get
# no secrets (from forks) as much as for any other.
# Out: exitcode in $GITHUB_OUTPUT; exits 1 when the manifests are not valid.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/action-common.sh"
check_stack

result="$work/validate.txt"
orbitctl validate "${manifests[@]}" > "$result" 2>&1
rc=$?
cat "$result"
echo "exitcode=$rc" >> "$outputs"
[[ $rc -eq 0 ]] || annotate_manifests
{
  if [[ $rc -eq 0 ]]; then printf '### orbitctl validate\n\n'; else printf '### orbitctl validate failed\n\n'; fi
  fence_file "$result"
} >> "$summary"
exit $rc
