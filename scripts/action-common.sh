# Shared by the action's step scripts (sourced, not run). Every script takes its stack and
# manifests from the environment, so a matrix job can run one stack per job.
# In: ORBITCTL_MANIFESTS (paths separated by spaces or newlines), ORBITCTL_PARALLELISM,
#     ORBITCTL_STACK (optional), the true|false inputs ORBITCTL_ALLOW_RELEASE, ORBITCTL_FORCE,
#     ORBITCTL_COMMENT, ORBITCTL_UPLOAD_PLAN, ORBITCTL_MAX_RELEASE_PERCENT (empty: orbitctl's
#     default), ORBITCTL_APPLY_WORKFLOW (the apply workflow's file, for applies_since; empty: no
#     check), ORBITCTL_PYTHON (the Python orbitctl is installed in; default python3),
#     GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_RUN_ID,
#     GITHUB_SERVER_URL.

export NO_COLOR=1
action_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
read -r -d '' -a manifests <<< "${ORBITCTL_MANIFESTS:-numbers.yaml}" || true
if [[ ${#manifests[@]} -eq 0 ]]; then
  echo "::error::orbitctl action: the manifests input is empty" >&2
  exit 1
fi
# A stack names the comment's marker and a jq filter: only what a manifest's stack may be.
check_stack_name() {
  if [[ ! "$2" =~ ^[a-z0-9][a-z0-9-]{0,15}$ ]]; then
    echo "::error::orbitctl action: the $1 input '$2' is not a stack name" \
      "(allowed: lowercase letters, digits and '-', at most 16 characters, e.g. prod)" >&2
    exit 1
  fi
}
[[ -z "${ORBITCTL_STACK:-}" ]] || check_stack_name stack "$ORBITCTL_STACK"
# The true|false inputs: anything else (a "yes", a "True") is a mistake, not a silent false.
check_bool() {
  if [[ "$2" != true && "$2" != false ]]; then
    echo "::error::orbitctl action: the $1 input is '$2'; it must be \"true\" or \"false\"" >&2
    exit 1
  fi
}
check_bool allow-release "${ORBITCTL_ALLOW_RELEASE:=false}"
check_bool force "${ORBITCTL_FORCE:=false}"
# comment: "section" (plan mode, a matrix of stacks) hands the comment to a `mode: comment` job.
if [[ "${ORBITCTL_COMMENT:=true}" != section ]]; then check_bool comment "$ORBITCTL_COMMENT"; fi
check_bool upload-plan "${ORBITCTL_UPLOAD_PLAN:=false}"
max_release_percent="${ORBITCTL_MAX_RELEASE_PERCENT:-}"
if [[ -n "$max_release_percent" ]] && ! [[ "$max_release_percent" =~ ^[0-9]{1,3}$ && $((10#$max_release_percent)) -le 100 ]]; then
  echo "::error::orbitctl action: the max-release-percent input is '$max_release_percent'; it must be a" \
    "whole number from 0 to 100 (or empty for orbitctl's default)" >&2
  exit 1
fi
parallelism="${ORBITCTL_PARALLELISM:-16}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
outputs="${GITHUB_OUTPUT:-/dev/null}"
work="$(mktemp -d "${RUNNER_TEMP:-/tmp}/orbitctl.XXXXXX")"

# The checks that need orbitctl's own code (scripts/action-helper.py).
helper() { "${ORBITCTL_PYTHON:-python3}" "$action_dir/action-helper.py" "$@"; }

# Before anything reads the account: the manifests must be of the stack the input names (the
# concurrency group and the journal's cache key are named after the input). Exits 1 when not.
check_stack() {
  [[ -z "${ORBITCTL_STACK:-}" ]] || helper stack "$ORBITCTL_STACK" "${manifests[@]}" || exit 1
}

# The manifests' problems as annotations on their files and lines (`orbitctl validate --output
# json`), after a command failed: nothing when the manifests are valid.
annotate_manifests() {
  orbitctl validate --output json "${manifests[@]}" 2>/dev/null | helper annotations
}

# `orbitctl plan MANIFESTS --output FORMAT --detailed-exitcode [ARGS...]` into FILE; its stderr
# into $plan_err and the log. Sets rc (0 no changes, 2 changes, 1 error).
run_plan() {
  plan_err="$work/plan.err"
  orbitctl plan "${manifests[@]}" --output "$1" --detailed-exitcode --parallelism "$parallelism" "${@:3}" \
    >"$2" 2>"$plan_err"
  rc=$?
  cat "$plan_err" >&2
}

# "Commit SHA · planned at TIME · workflow run": which push and when a comment shows.
stamp() {
  local sha="${ORBITCTL_HEAD_SHA:-${GITHUB_SHA:-}}" line=""
  [[ "$sha" =~ ^[0-9a-f]{40}$ ]] && line="Commit $sha · "
  line+="$1 $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  [[ -n "${GITHUB_RUN_ID:-}" && -n "${GITHUB_REPOSITORY:-}" ]] \
    && line+=" · [workflow run](${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID)"
  printf '%s\n' "$line"
}

have_gh() { command -v gh >/dev/null 2>&1; }

# The runs of the apply workflow (other than this run) that were running at some moment since
# the epoch second $1, less a minute for the clocks: one URL a line. Returns 1, having warned,
# when it cannot tell (no gh, no `actions: read`, no such workflow).
applies_since() {
  local since=$(( $1 - 60 )) runs
  if ! have_gh || [[ -z "${GITHUB_REPOSITORY:-}" ]]; then
    echo "::warning::orbitctl action: cannot tell whether an apply ran meanwhile: no gh or no GITHUB_REPOSITORY" >&2
    return 1
  fi
  if ! runs="$(gh api "repos/$GITHUB_REPOSITORY/actions/workflows/$ORBITCTL_APPLY_WORKFLOW/runs?per_page=50" \
      --jq ".workflow_runs[] | select(.id != ${GITHUB_RUN_ID:-0}) | select(.status == \"in_progress\"
              or (.status == \"completed\" and (.updated_at | fromdateiso8601) >= $since)) | .html_url")"; then
    echo "::warning::orbitctl action: cannot tell whether an apply ran meanwhile: cannot list the runs of" \
      "$ORBITCTL_APPLY_WORKFLOW (the job needs permissions: actions: read; set the apply-workflow input to" \
      "the apply workflow's file name, or to \"\" for no check)" >&2
    return 1
  fi
  printf '%s' "$runs"
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

# A pull-request comment is a copy of the job summary: when it cannot be written (no gh on a
# self-hosted runner, a read-only token as pull requests from forks and Dependabot get) the step
# warns and its outcome stays orbitctl's.
comment_warning() {
  echo "::warning::orbitctl action: no $1 comment: ${*:2}; the $1 is in the job summary" >&2
}

# Replace the body of the first comment of pull request NUMBER that starts with MARKER by FILE,
# or post FILE as a new comment when none does (WHAT names it in warnings).
upsert_comment() {
  local what="$1" marker="$2" body="$3" number="$4" ids
  if ! ids="$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$number/comments" \
      --jq ".[] | select(.body | startswith(\"$marker\")) | .id")"; then
    comment_warning "$what" "cannot list the pull request's comments with gh api (see above)"
    return
  fi
  write_comment "$what" "$body" "$number" "${ids%%$'\n'*}"
}

# Whether a comment can be written here; warns (and returns 1) when it cannot.
can_comment() {
  if [[ -z "${GITHUB_REPOSITORY:-}" ]]; then
    comment_warning "$1" "GITHUB_REPOSITORY is not set"
  elif ! have_gh; then
    comment_warning "$1" "the GitHub CLI (gh) is not installed on this runner"
  else
    return 0
  fi
  return 1
}

# Post FILE as a new comment on pull request NUMBER (WHAT names it in warnings), or, with an
# existing comment's ID, replace that comment's body.
write_comment() {
  local what="$1" body="$2" number="$3" existing="${4:-}"
  if [[ -n "$existing" ]]; then
    gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$existing" -F "body=@$body" >/dev/null
  else
    gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$number/comments" -F "body=@$body" >/dev/null
  fi || comment_warning "$what" "cannot write the comment with gh api (the token needs" \
    "pull-requests: write; pull requests from forks get a read-only one)"
}
