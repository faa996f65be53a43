#!/usr/bin/env bash
# The action's apply step: `orbitctl apply --auto-approve`, its report in the job summary.
# In (besides action-common.sh's): ORBITCTL_ALLOW_RELEASE (true|false).
# Out: exitcode, journal=true (when .orbitctl/journal.json exists), ports=true (when
# .orbitctl/ports.json exists) in $GITHUB_OUTPUT; exits
#      with apply's exit code.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/action-common.sh"

flags=(--auto-approve --parallelism "$parallelism")
[[ "${ORBITCTL_ALLOW_RELEASE:-false}" == "true" ]] && flags+=(--allow-release)

# Into the log as it happens (an apply of many numbers takes minutes), and into a file for the
# summary.
log="$work/apply.log"
orbitctl apply "${manifests[@]}" "${flags[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

{
  if [[ -n "${ORBITCTL_STACK:-}" ]]; then
    printf '### orbitctl apply for stack <code>%s</code>\n\n' "$ORBITCTL_STACK"
  else
    printf '### orbitctl apply\n\n'
  fi
  if [[ $rc -eq 0 ]]; then printf 'Succeeded.\n\n'; else printf '**Failed** (exit %s).\n\n' "$rc"; fi
  # The end of a long apply (its outcomes and totals) within a job summary's 1 MiB.
  clip_lines "$log" 500000 tail > "$work/apply.log.shown"
  fence_file "$work/apply.log.shown"
} >> "$summary"
echo "exitcode=$rc" >> "$outputs"
# Whether there is a purchase journal for the action to keep in the cache.
[[ -f .orbitctl/journal.json ]] && echo "journal=true" >> "$outputs"
# Whether there are porting requests to remember (a second apply must not submit them again).
[[ -f .orbitctl/ports.json ]] && echo "ports=true" >> "$outputs"
exit $rc
