#!/usr/bin/env bash
# Which job the action does: the `mode` input, or for `auto` apply on a push to the default
# branch and plan on anything else (pull requests above all).
# In:  ORBITCTL_MODE (auto|validate|plan|apply|apply-reviewed|drift|comment), GITHUB_EVENT_NAME,
#      GITHUB_REF, ORBITCTL_DEFAULT_BRANCH
# Out: mode=<validate|plan|apply|apply-reviewed|drift|comment> in $GITHUB_OUTPUT
set -euo pipefail

mode="${ORBITCTL_MODE:-auto}"
case "$mode" in
  validate | plan | apply | apply-reviewed | drift | comment) ;;
  auto)
    if [[ "${GITHUB_EVENT_NAME:-}" == "push" && -n "${ORBITCTL_DEFAULT_BRANCH:-}" \
          && "${GITHUB_REF:-}" == "refs/heads/${ORBITCTL_DEFAULT_BRANCH}" ]]; then
      mode=apply
    else
      mode=plan
    fi
    ;;
  *)
    echo "::error::orbitctl action: mode '$mode' is not one of auto, validate, plan, apply, apply-reviewed, drift, comment" >&2
    exit 1
    ;;
esac
echo "orbitctl action: mode $mode"
echo "mode=$mode" >> "${GITHUB_OUTPUT:-/dev/null}"
