"""The GitHub Action: action.yml's shape, and its step scripts run for real against a served
sandbox with a fake GITHUB_STEP_SUMMARY, GITHUB_OUTPUT and a stubbed `gh` (comments in a file)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from orbitctl.account.client import OrbitClient
from tests.conftest import TEST_API_KEY
from tests.processes import run_process

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())

MANIFEST = """\
version: 1
stack: prod
defaults:
  country: US
numbers:
  support:
    label: Support line
"""

#: A stand-in for the GitHub CLI: logs each call, answers `gh api ... --jq FILTER` from the
#: comments in $FAKE_GH_COMMENTS with the real jq, and keeps the body of each write. With
#: FAKE_GH_REFUSE=GET|POST|PATCH it answers that method as a read-only token does (403).
FAKE_GH = r"""#!/usr/bin/env bash
set -euo pipefail
printf '%s\n' "$*" >> "$FAKE_GH_DIR/calls.log"
jq_filter="" method=GET body=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jq) jq_filter="$2"; shift 2 ;;
    --method) method="$2"; shift 2 ;;
    -F) body="${2#body=@}"; shift 2 ;;
    *) shift ;;
  esac
done
if [[ "$method" == "${FAKE_GH_REFUSE:-none}" ]]; then
  echo "HTTP 403: Resource not accessible by integration" >&2
  exit 1
fi
if [[ "$method" == GET ]]; then
  jq -r "$jq_filter" < "$FAKE_GH_COMMENTS"
else
  cp "$body" "$FAKE_GH_DIR/body-$method.md"
fi
"""


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.fixture
def github(tmp_path):
    """A fake runner: summary, outputs, a stub gh on PATH, a workspace with the manifest."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    workspace = tmp_path / "repo"
    workspace.mkdir()
    (workspace / "numbers.yaml").write_text(MANIFEST)
    comments = tmp_path / "comments.json"
    comments.write_text("[]")
    (tmp_path / "runner").mkdir()

    class Runner:
        summary = tmp_path / "summary.md"
        output = tmp_path / "output.txt"
        gh_dir = tmp_path
        repo = workspace

        def comments(self, items):
            comments.write_text(json.dumps(items))

        def calls(self):
            log = tmp_path / "calls.log"
            return log.read_text().splitlines() if log.exists() else []

        def run(self, script, url=None, **env):
            environ = {
                "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "HOME": str(tmp_path),
                "RUNNER_TEMP": str(tmp_path / "runner"),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "GITHUB_OUTPUT": str(self.output),
                "GITHUB_REPOSITORY": "acme/phone-numbers",
                "FAKE_GH_DIR": str(tmp_path),
                "FAKE_GH_COMMENTS": str(comments),
                "ORBITCTL_MANIFESTS": "numbers.yaml",
                "ORBITCTL_PARALLELISM": "4",
            }
            if url:
                environ |= {"ORBIT_API_URL": url, "ORBIT_API_KEY": TEST_API_KEY}
            environ |= env
            self.summary.write_text("")
            self.output.write_text("")
            return run_process([str(SCRIPTS / script)], cwd=workspace, env=environ, timeout=120)

    return Runner()


# --- action.yml -------------------------------------------------------------------------------


def test_action_is_composite_and_calls_scripts_that_exist():
    assert ACTION["runs"]["using"] == "composite"
    scripts = []
    for step in ACTION["runs"]["steps"]:
        run = step.get("run", "")
        if "scripts/" in run:
            name = run.split("scripts/")[1].split('"')[0]
            scripts.append(name)
            assert os.access(SCRIPTS / name, os.X_OK), name
    assert scripts == ["action-mode.sh", "action-plan.sh", "action-apply.sh", "action-drift.sh"]


def test_every_input_the_steps_use_is_declared():
    text = (ROOT / "action.yml").read_text()
    used = {re.match(r"[a-z-]+", part).group(0) for part in re.split(r"\binputs\.", text)[1:]}
    assert used <= set(ACTION["inputs"])
    assert {"manifests", "stack", "working-directory", "allow-release", "parallelism"} <= used


def test_action_installs_orbitctl_from_its_own_checkout():
    install = next(step for step in ACTION["runs"]["steps"] if step.get("name") == "Install orbitctl")
    assert 'pip install --quiet "$GITHUB_ACTION_PATH"' in install["run"]


@pytest.mark.parametrize(
    ("mode", "event", "ref", "expected"),
    [
        ("auto", "pull_request", "refs/pull/7/merge", "plan"),
        ("auto", "push", "refs/heads/main", "apply"),
        ("auto", "push", "refs/heads/feature", "plan"),
        ("drift", "schedule", "refs/heads/main", "drift"),
        ("plan", "push", "refs/heads/main", "plan"),
    ],
)
def test_mode_applies_only_on_a_push_to_the_default_branch(github, mode, event, ref, expected):
    result = github.run(
        "action-mode.sh",
        ORBITCTL_MODE=mode,
        GITHUB_EVENT_NAME=event,
        GITHUB_REF=ref,
        ORBITCTL_DEFAULT_BRANCH="main",
    )
    assert result.returncode == 0, result.stderr
    assert outputs(github.output) == {"mode": expected}


def test_an_unknown_mode_fails_naming_the_allowed_ones(github):
    result = github.run("action-mode.sh", ORBITCTL_MODE="deploy")
    assert result.returncode == 1
    assert "not one of auto, plan, apply, drift" in result.stderr


# --- the step scripts against a served sandbox ------------------------------------------------


def test_plan_goes_to_the_summary_and_a_new_comment(github, sandbox_server):
    server = sandbox_server()
    result = github.run("action-plan.sh", server.url, ORBITCTL_PR_NUMBER="7", ORBITCTL_STACK="prod")
    assert result.returncode == 0, result.stderr
    summary = github.summary.read_text()
    assert summary.startswith("<!-- orbitctl-plan:stack=prod -->\n")
    assert "to purchase" in summary
    assert outputs(github.output) == {"has-changes": "true", "exitcode": "2"}
    calls = github.calls()
    assert calls[0].startswith("api --paginate repos/acme/phone-numbers/issues/7/comments")
    assert calls[1].startswith("api --method POST repos/acme/phone-numbers/issues/7/comments")
    assert (github.gh_dir / "body-POST.md").read_text() == summary


def test_plan_updates_its_own_comment_in_place(github, sandbox_server):
    server = sandbox_server()
    github.comments(
        [
            {"id": 11, "body": "Looks good to me"},
            {"id": 12, "body": "<!-- orbitctl-plan:stack=staging -->\nanother stack's plan"},
            {"id": 13, "body": "<!-- orbitctl-plan:stack=prod -->\nan old plan"},
            {"id": 14, "body": "<!-- orbitctl-plan:stack=prod -->\na duplicate: the first one wins"},
        ]
    )
    result = github.run("action-plan.sh", server.url, ORBITCTL_PR_NUMBER="7")
    assert result.returncode == 0, result.stderr
    assert github.calls()[1].startswith("api --method PATCH repos/acme/phone-numbers/issues/comments/13")
    assert "to purchase" in (github.gh_dir / "body-PATCH.md").read_text()


def test_plan_off_a_pull_request_writes_only_the_summary(github, sandbox_server):
    server = sandbox_server()
    result = github.run("action-plan.sh", server.url)
    assert result.returncode == 0, result.stderr
    assert "to purchase" in github.summary.read_text()
    assert github.calls() == []


def test_a_failed_plan_is_reported_in_summary_and_comment_and_fails_the_step(github, sandbox_server):
    server = sandbox_server()
    (github.repo / "numbers.yaml").write_text(MANIFEST.replace("country: US", "country: XX"))
    result = github.run("action-plan.sh", server.url, ORBITCTL_PR_NUMBER="7", ORBITCTL_STACK="prod")
    assert result.returncode == 1
    summary = github.summary.read_text()
    assert summary.startswith("<!-- orbitctl-plan:stack=prod -->\n### orbitctl plan failed")
    assert "numbers.yaml:4" in summary and "'XX' is not an ISO 3166-1" in summary
    assert (github.gh_dir / "body-POST.md").read_text() == summary
    assert outputs(github.output) == {"exitcode": "1"}


@pytest.mark.parametrize("refused", ["GET", "POST"])
def test_a_comment_the_token_may_not_write_warns_and_the_plan_step_keeps_its_outcome(
    github, sandbox_server, refused
):
    server = sandbox_server()
    result = github.run(
        "action-plan.sh", server.url, ORBITCTL_PR_NUMBER="7", ORBITCTL_STACK="prod", FAKE_GH_REFUSE=refused
    )
    assert result.returncode == 0, result.stderr
    assert "::warning::orbitctl action: no plan comment" in result.stderr
    assert "to purchase" in github.summary.read_text()
    assert outputs(github.output) == {"has-changes": "true", "exitcode": "2"}


def test_a_runner_without_gh_warns_and_the_plan_step_keeps_its_outcome(github, sandbox_server, tmp_path):
    tools = tmp_path / "tools"  # what the scripts need, and no gh
    tools.mkdir()
    for tool in ("bash", "env", "mktemp", "grep", "awk", "head", "tail", "cat", "cp", "tee", "dirname"):
        (tools / tool).symlink_to(shutil.which(tool))
    server = sandbox_server()
    path = f"{Path(sys.executable).parent}{os.pathsep}{tools}"
    result = github.run("action-plan.sh", server.url, ORBITCTL_PR_NUMBER="7", PATH=path)
    assert result.returncode == 0, result.stderr
    assert "gh) is not installed" in result.stderr
    assert github.calls() == []
    assert outputs(github.output)["exitcode"] == "2"


def test_a_stack_input_that_is_not_a_stack_name_fails_before_planning(github):
    result = github.run("action-plan.sh", ORBITCTL_STACK='prod") | .id, ("x')
    assert result.returncode == 1
    assert "is not a stack name" in result.stderr
    assert github.calls() == [] and github.output.read_text() == ""


def test_the_action_checks_stack_names_with_the_schemas_pattern():
    from orbitctl.manifest.schema import manifest_schema

    pattern = manifest_schema()["$defs"]["stack"]["pattern"]
    assert f"=~ {pattern} ]]" in (SCRIPTS / "action-common.sh").read_text()


def test_a_failed_plan_with_many_problems_fits_in_a_comment(github, sandbox_server):
    server = sandbox_server()
    entries = "".join(f"  entry-{index}:\n    country: US\n    labl: x\n" for index in range(600))
    (github.repo / "numbers.yaml").write_text(f"version: 1\nstack: prod\nnumbers:\n{entries}")
    result = github.run("action-plan.sh", server.url, ORBITCTL_PR_NUMBER="7", ORBITCTL_STACK="prod")
    assert result.returncode == 1
    assert len(result.stderr) > 65_536  # the log has every problem
    body = (github.gh_dir / "body-POST.md").read_text()
    assert len(body) < 65_536
    assert "numbers.yaml:6:5: numbers.entry-0.labl: unknown key 'labl'" in body
    assert re.search(r"^\.\.\. and \d+ more lines: see the step's log$", body, flags=re.MULTILINE)


def test_a_stack_input_that_disagrees_with_the_manifests_fails(github, sandbox_server):
    server = sandbox_server()
    result = github.run("action-plan.sh", server.url, ORBITCTL_STACK="staging")
    assert result.returncode == 1
    assert "the manifests are stack prod, but the stack input is staging" in result.stderr


def test_apply_then_drift_check_then_drift_detected(github, sandbox_server):
    server = sandbox_server()
    applied = github.run("action-apply.sh", server.url, ORBITCTL_STACK="prod")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Succeeded." in github.summary.read_text()
    with OrbitClient(TEST_API_KEY, server.url) as client:
        (number,) = list(client.iter_numbers())
        assert client.get_number(number.id).get("label") == "Support line"

    clean = github.run("action-drift.sh", server.url)
    assert clean.returncode == 0, clean.stderr
    assert "No drift" in github.summary.read_text()
    assert outputs(github.output)["has-changes"] == "false"

    with OrbitClient(TEST_API_KEY, server.url) as client:
        client.configure(number.id, label="Changed by hand")
    drifted = github.run("action-drift.sh", server.url)
    assert drifted.returncode == 1
    summary = github.summary.read_text()
    assert "**Drift: 1 action" in summary
    assert "| managed by stack prod | 1 |" in summary
    assert 'label: "Changed by hand" → "Support line"' in summary
    assert "update support" in drifted.stdout
    assert "drifted from the manifests" in drifted.stderr
    plan_json = Path(outputs(github.output)["plan-json"])
    assert json.loads(plan_json.read_text())["summary"]["update"] == 1


def test_apply_failure_fails_the_step_with_the_report(github, sandbox_server):
    server = sandbox_server()
    (github.repo / "numbers.yaml").write_text(MANIFEST.replace("stack: prod", "stack: Prod!"))
    result = github.run("action-apply.sh", server.url)
    assert result.returncode == 1
    summary = github.summary.read_text()
    assert "**Failed** (exit 1)" in summary and "stack" in summary


def test_a_failure_quoting_backticks_stays_inside_its_fence(github, sandbox_server):
    server = sandbox_server()
    result = github.run("action-drift.sh", server.url, ORBITCTL_MANIFESTS="no-such-````.yaml")
    assert result.returncode == 1
    assert "no-such-````.yaml" in result.stderr
    summary = github.summary.read_text().splitlines()
    fence = summary[2]
    assert set(fence) == {"`"} and len(fence) > 4
    assert summary[-1] == fence and any("no-such-````.yaml" in line for line in summary[3:-1])


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        ("head", "1\n2\n3\n... and 2 more lines: see the step's log\n"),
        ("tail", "... 2 lines before: see the step's log\n3\n4\n5\n"),
    ],
)
def test_long_logs_are_clipped_to_whole_lines_saying_how_many_are_left_out(tmp_path, keep, expected):
    log = tmp_path / "log.txt"
    log.write_text("1\n2\n3\n4\n5\n")

    def clip(max_chars: int) -> str:
        script = f'source "{SCRIPTS}/action-common.sh" && clip_lines "$1" {max_chars} {keep}'
        env = {"PATH": os.environ["PATH"], "RUNNER_TEMP": str(tmp_path)}
        command = ["bash", "-c", script, "-", str(log)]
        done = run_process(command, env=env, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert clip(6) == expected
    assert clip(100) == log.read_text()


# --- the pre-commit hook ----------------------------------------------------------------------


def test_pre_commit_hook_validates_the_manifests_it_is_triggered_by(tmp_path):
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "orbitctl-validate" and hook["language"] == "python"
    triggers = re.compile(hook["files"])
    assert triggers.search("numbers.yaml") and triggers.search("numbers/prod.yml")
    assert not triggers.search(".github/workflows/orbitctl-plan.yml")
    assert not triggers.search(".pre-commit-config.yaml")

    command = [str(Path(sys.executable).parent / hook["entry"].split()[0]), *hook["entry"].split()[1:]]
    command += hook["args"]
    (tmp_path / "numbers.yaml").write_text(MANIFEST)
    good = run_process(command, cwd=tmp_path, timeout=60)
    assert good.returncode == 0, good.stderr
    (tmp_path / "numbers.yaml").write_text(MANIFEST.replace("label:", "labl:"))
    bad = run_process(command, cwd=tmp_path, timeout=60)
    assert bad.returncode == 1
    assert "numbers.yaml:7:5: numbers.support.labl: unknown key 'labl'" in bad.stdout + bad.stderr
