# Shared by the action's step scripts (sourced, not run).
# In: ORBITCTL_MANIFESTS (paths separated by spaces or newlines), ORBITCTL_PARALLELISM,
#     ORBITCTL_STACK (optional), GITHUB_STEP_SUMMARY, GITHUB_OUTPUT.

export NO_COLOR=1
read -r -d '' -a manifests <<< "${ORBITCTL_MANIFESTS:-numbers.yaml}" || true
if [[ ${#manifests[@]} -eq 0 ]]; then
  echo "::error::orbitctl action: the manifests input is empty" >&2
  exit 1
fi
# The stack names the comment's marker and a jq filter: only what a manifest's stack may be.
if [[ -n "${ORBITCTL_STACK:-}" && ! "$ORBITCTL_STACK" =~ ^[a-z0-9][a-z0-9-]{0,15}$ ]]; then
  echo "::error::orbitctl action: the stack input '$ORBITCTL_STACK' is not a stack name" \
    "(allowed: lowercase letters, digits and '-', at most 16 characters, e.g. prod)" >&2
  exit 1
fi
parallelism="${ORBITCTL_PARALLELISM:-16}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
outputs="${GITHUB_OUTPUT:-/dev/null}"
work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/orbitctl.XXXXXX")"

# `orbitctl plan MANIFESTS --output FORMAT --detailed-exitcode` into FILE; its stderr into
# $plan_err and the log. Sets rc (0 no changes, 2 changes, 1 error).
run_plan() {
  plan_err="$work/plan.err"
  orbitctl plan "${manifests[@]}" --output "$1" --detailed-exitcode --parallelism "$parallelism" \
    >"$2" 2>"$plan_err"
  rc=$?
  cat "$plan_err" >&2
}

# FILE's first (head) or last (tail) lines within MAX characters, and a line saying how many
# more are in the step's log: a comment holds 65,536 characters, a job summary 1 MiB.
clip_lines() {
  awk -v max="$2" -v keep="$3" '{ line[NR] = $0 }
    END {
      if (keep == "head") { for (i = 1; i <= NR && (n += length(line[i]) + 1) <= max; i++) last = i; first = 1 }
      else { first = NR + 1; for (i = NR; i >= 1 && (n += length(line[i]) + 1) <= max; i--) first = i; last = NR }
      if (keep == "tail" && first > 1) printf "... %d lines before: see the step'"'"'s log\n", first - 1
      for (i = first; i <= last; i++) print line[i]
      if (keep == "head" && last < NR) printf "... and %d more lines: see the step'"'"'s log\n", NR - last
    }' "$1"
}

# The marker orbitctl's markdown starts with, for a stack (see orbitctl/render/markdown.py).
marker_for() { printf '<!-- orbitctl-plan:stack=%s -->' "$1"; }

# A fenced block of a file's text, the fence longer than any backtick run in it.
fence_file() {
  local longest fence
  longest=$(grep -oE '`+' "$1" 2>/dev/null | awk '{ if (length($0) > n) n = length($0) } END { print n + 0 }')
  fence='```'
  while (( ${#fence} <= longest )); do fence+='`'; done
  printf '%s\n' "$fence"
  cat "$1"
  [[ -s "$1" && -n "$(tail -c 1 "$1")" ]] && printf '\n'
  printf '%s\n' "$fence"
}
