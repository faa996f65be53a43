"""The GitHub Action: action.yml's shape, and its step scripts run for real against a served
sandbox with a fake GITHUB_STEP_SUMMARY, GITHUB_OUTPUT and a stubbed `gh` (comments in a file)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest
import yaml

from orbitctl.account.client import OrbitClient
from tests.conftest import TEST_API_KEY
from tests.processes import run_process
from tests.seed import seed_numbers

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

REPO = "acme/phone-numbers"
#: The commit a push to main carries (a merge or squash commit) and the merged pull request's head.
MERGE_SHA = "a" * 40
HEAD_SHA = "b" * 40

#: A stand-in for the GitHub CLI. `gh api` answers GETs from $FAKE_GH_DIR/routes.json (path ->
#: JSON), honouring the query parameters and -f fields the GitHub API filters runs and artifacts
#: by, through the real jq for --jq; it logs every call and keeps the body of each write. `gh run
#: download RUN --name NAME --dir DIR` copies $FAKE_GH_DIR/artifacts/RUN/NAME. FAKE_GH_REFUSE=GET
#: (or POST, PATCH, or a part of a path like /actions/) answers that method or path as a token
#: without the permission does (403).
FAKE_GH = r"""#!/usr/bin/env python3
import json, os, shutil, subprocess, sys
from pathlib import Path
from urllib.parse import parse_qsl

state = Path(os.environ["FAKE_GH_DIR"])
args = sys.argv[1:]
with open(state / "calls.log", "a") as log:
    log.write(" ".join(args) + "\n")

def option(name):
    return args[args.index(name) + 1] if name in args else None

if args[:2] == ["run", "download"]:
    source = state / "artifacts" / args[2] / option("--name")
    if not source.is_dir():
        sys.exit(f"no artifact {option('--name')} in run {args[2]}")
    shutil.copytree(source, option("--dir"), dirs_exist_ok=True)
    sys.exit(0)

method, jq, fields, endpoint, rest = "GET", None, {}, None, args[1:]
while rest:
    word = rest.pop(0)
    if word in ("--method", "-X"):
        method = rest.pop(0)
    elif word == "--jq":
        jq = rest.pop(0)
    elif word in ("-f", "-F"):
        key, _, value = rest.pop(0).partition("=")
        fields[key] = value
    elif word == "--paginate":
        pass
    else:
        endpoint = word
refuse = os.environ.get("FAKE_GH_REFUSE")
if refuse and (method == refuse or refuse in (endpoint or "")):
    sys.exit("HTTP 403: Resource not accessible by integration")
if method != "GET":
    body = Path(fields["body"][1:]).read_text()
    (state / f"body-{method}.md").write_text(body)
    with open(state / "writes.json", "a") as writes:
        writes.write(json.dumps([method, endpoint, body]) + "\n")
    sys.exit(0)
path, _, query = endpoint.partition("?")
params = dict(parse_qsl(query)) | fields
routes = json.loads((state / "routes.json").read_text())
if path not in routes:
    sys.exit("HTTP 404: Not Found (" + path + ")")
answer = routes[path]
if isinstance(answer, dict) and "workflow_runs" in answer:
    keys = {"event": "event", "branch": "head_branch", "head_sha": "head_sha"}
    answer = {"workflow_runs": [run for run in answer["workflow_runs"]
                                if all(run.get(keys[k]) == v for k, v in params.items() if k in keys)]}
if isinstance(answer, dict) and "artifacts" in answer and "name" in params:
    answer = {"artifacts": [item for item in answer["artifacts"] if item["name"] == params["name"]]}
text = json.dumps(answer)
if jq:
    done = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    sys.exit(done.returncode)
print(text)
"""


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def plan_run(run_id: int, head_sha: str, started: str, **fields) -> dict:
    """A workflow run of the plan workflow, as the GitHub API lists it."""
    return {
        "id": run_id,
        "head_sha": head_sha,
        "head_branch": "add-support",
        "event": "pull_request",
        "status": "completed",
        "conclusion": "success",
        "run_started_at": started,
        "updated_at": started,
        "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}",
        "head_repository": {"full_name": REPO},
    } | fields


def merged_pull_request(number: int = 7, **fields) -> dict:
    return {
        "number": number,
        "merged_at": "2025-01-02T10:00:00Z",
        "merge_commit_sha": MERGE_SHA,
        "head": {"sha": HEAD_SHA, "ref": "add-support"},
    } | fields


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
    routes: dict[str, object] = {f"repos/{REPO}/issues/7/comments": []}
    (tmp_path / "routes.json").write_text(json.dumps(routes))
    (tmp_path / "runner").mkdir()

    class Runner:
        summary = tmp_path / "summary.md"
        output = tmp_path / "output.txt"
        gh_dir = tmp_path
        repo = workspace

        def route(self, path, answer):
            routes[path] = answer
            (tmp_path / "routes.json").write_text(json.dumps(routes))

        def comments(self, items):
            self.route(f"repos/{REPO}/issues/7/comments", items)

        def artifact(self, run_id, name, files: dict[str, str]):
            folder = tmp_path / "artifacts" / str(run_id) / name
            folder.mkdir(parents=True)
            for file, text in files.items():
                (folder / file).write_text(text)

        def calls(self):
            log = tmp_path / "calls.log"
            return log.read_text().splitlines() if log.exists() else []

        def writes(self):
            log = tmp_path / "writes.json"
            return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

        def run(self, script, url=None, **env):
            environ = {
                "PATH": f"{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "HOME": str(tmp_path),
                "RUNNER_TEMP": str(tmp_path / "runner"),
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "GITHUB_OUTPUT": str(self.output),
                "GITHUB_REPOSITORY": REPO,
                "GITHUB_SHA": MERGE_SHA,
                "GITHUB_RUN_ID": "900",
                "GITHUB_SERVER_URL": "https://github.com",
                "FAKE_GH_DIR": str(tmp_path),
                "ORBITCTL_MANIFESTS": "numbers.yaml",
                "ORBITCTL_PARALLELISM": "4",
                "ORBITCTL_GH_RETRY_SECONDS": "0",
                "ORBITCTL_APPLY_WORKFLOW": "",
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
    assert scripts == [
        "action-mode.sh", "action-validate.sh", "action-plan.sh", "action-apply.sh", "action-drift.sh",
        "action-comment.sh",
    ]


def test_every_input_the_steps_use_is_declared():
    text = (ROOT / "action.yml").read_text()
    used = {re.match(r"[a-z-]+", part).group(0) for part in re.split(r"\binputs\.", text)[1:]}
    assert used <= set(ACTION["inputs"])
    assert set(ACTION["inputs"]) - used == set()


def test_action_installs_orbitctl_from_its_own_checkout():
    assert 'pip install --quiet "$GITHUB_ACTION_PATH"' in step("Install orbitctl")["run"]


def step(name: str) -> dict:
    return next(step for step in ACTION["runs"]["steps"] if step.get("name") == name)


def test_the_saved_plan_is_uploaded_short_lived_under_the_stacks_name_only_when_asked():
    upload = step("Upload the saved plan")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "steps.plan.outputs.plan-file != ''"
    assert upload["with"]["name"] == "orbitctl-plan-${{ inputs.stack }}"
    assert upload["with"]["retention-days"] == "${{ inputs.plan-retention-days }}"
    assert upload["with"]["overwrite"] is True  # a re-run attempt replaces its plan
    assert step("orbitctl plan")["env"]["ORBITCTL_UPLOAD_PLAN"] == "${{ inputs.upload-plan }}"
    assert int(ACTION["inputs"]["plan-retention-days"]["default"]) <= 7


def test_both_apply_modes_run_the_apply_step_with_the_gates():
    apply = step("orbitctl apply")
    assert apply["if"] == "steps.mode.outputs.mode == 'apply' || steps.mode.outputs.mode == 'apply-reviewed'"
    assert apply["env"]["ORBITCTL_REVIEWED"] == "${{ steps.mode.outputs.mode == 'apply-reviewed' }}"
    for name in ("orbitctl plan", "orbitctl apply"):  # the plan step warns with the apply's gates
        env = step(name)["env"]
        assert env["ORBITCTL_ALLOW_RELEASE"] == "${{ inputs.allow-release }}"
        assert env["ORBITCTL_FORCE"] == "${{ inputs.force }}"
        assert env["ORBITCTL_MAX_RELEASE_PERCENT"] == "${{ inputs.max-release-percent }}"


def test_the_journal_folder_orbitctl_uses_is_the_one_cached():
    cached = step("Restore the purchase journal")["with"]["path"]
    assert cached == "${{ inputs.working-directory }}/.orbitctl/journal.json"
    assert step("Save the purchase journal")["with"]["path"] == cached
    for name in ("orbitctl plan", "orbitctl apply", "orbitctl drift check"):
        assert step(name)["working-directory"] == "${{ inputs.working-directory }}"
        assert step(name)["env"]["ORBITCTL_STATE_DIR"] == ".orbitctl"


@pytest.mark.parametrize(
    ("mode", "event", "ref", "expected"),
    [
        ("auto", "pull_request", "refs/pull/7/merge", "plan"),
        ("auto", "push", "refs/heads/main", "apply"),
        ("auto", "push", "refs/heads/feature", "plan"),
        ("drift", "schedule", "refs/heads/main", "drift"),
        ("plan", "push", "refs/heads/main", "plan"),
        ("apply-reviewed", "push", "refs/heads/main", "apply-reviewed"),
        ("validate", "pull_request", "refs/pull/7/merge", "validate"),
        ("comment", "pull_request", "refs/pull/7/merge", "comment"),
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
    assert "not one of auto, validate, plan, apply, apply-reviewed, drift, comment" in result.stderr


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
    for tool in ("bash", "env", "mktemp", "grep", "awk", "head", "tail", "cat", "cp", "tee", "dirname", "date"):
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


# --- every mode: inputs checked before the account is read ------------------------------------


@pytest.mark.parametrize(
    ("script", "env"),
    [
        ("action-plan.sh", {}),
        ("action-apply.sh", {}),
        ("action-apply.sh", {"ORBITCTL_REVIEWED": "true"}),
        ("action-drift.sh", {}),
        ("action-validate.sh", {}),
    ],
)
def test_every_mode_refuses_a_stack_input_the_manifests_disagree_with_before_reading_the_account(
    github, sandbox_server, script, env
):
    server = sandbox_server()
    result = github.run(script, server.url, ORBITCTL_STACK="staging", **env)
    assert result.returncode == 1
    assert "the manifests are stack prod, but the stack input is staging" in result.stderr
    assert "Saved the plan" not in result.stderr and github.summary.read_text() == ""
    with OrbitClient(TEST_API_KEY, server.url) as client:
        assert list(client.iter_numbers()) == []
    assert github.calls() == []


def test_every_mode_accepts_a_stack_input_that_agrees(github, sandbox_server):
    server = sandbox_server()
    assert github.run("action-validate.sh", ORBITCTL_STACK="prod").returncode == 0
    applied = github.run("action-apply.sh", server.url, ORBITCTL_STACK="prod", ORBITCTL_COMMENT="false")
    assert applied.returncode == 0, applied.stderr
    assert github.run("action-drift.sh", server.url, ORBITCTL_STACK="prod").returncode == 0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ORBITCTL_ALLOW_RELEASE", "yes", "the allow-release input is 'yes'; it must be \"true\" or \"false\""),
        ("ORBITCTL_FORCE", "True", "the force input is 'True'; it must be \"true\" or \"false\""),
        ("ORBITCTL_COMMENT", "1", "the comment input is '1'"),
        ("ORBITCTL_UPLOAD_PLAN", "on", "the upload-plan input is 'on'"),
        ("ORBITCTL_MAX_RELEASE_PERCENT", "101", "the max-release-percent input is '101'"),
        ("ORBITCTL_MAX_RELEASE_PERCENT", "25%", "the max-release-percent input is '25%'"),
    ],
)
def test_an_input_out_of_its_range_fails_naming_it(github, variable, value, message):
    result = github.run("action-apply.sh", **{variable: value})
    assert result.returncode == 1
    assert message in result.stderr
    assert github.output.read_text() == ""


# --- the plan comment: commit, time, warnings -------------------------------------------------

STAMP = re.compile(
    rf"^Commit {HEAD_SHA} · planned \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC · "
    rf"\[workflow run\]\(https://github\.com/{REPO}/actions/runs/900\)$"
)


def test_the_plan_comment_says_which_commit_it_shows_and_when(github, sandbox_server):
    server = sandbox_server()
    result = github.run("action-plan.sh", server.url, ORBITCTL_PR_NUMBER="7", ORBITCTL_HEAD_SHA=HEAD_SHA)
    assert result.returncode == 0, result.stderr
    lines = (github.gh_dir / "body-POST.md").read_text().splitlines()
    assert lines[0] == "<!-- orbitctl-plan:stack=prod -->"
    assert lines[1] == "### orbitctl plan for stack <code>prod</code>"
    assert lines[2] == "" and STAMP.match(lines[3]), lines[3]
    assert lines[4] == "" and lines[5] == "| Action | Count |"


def test_a_failed_plan_comment_also_says_which_commit_and_when(github, sandbox_server):
    server = sandbox_server()
    (github.repo / "numbers.yaml").write_text(MANIFEST.replace("country: US", "country: XX"))
    github.run("action-plan.sh", server.url, ORBITCTL_PR_NUMBER="7", ORBITCTL_STACK="prod", ORBITCTL_HEAD_SHA=HEAD_SHA)
    lines = (github.gh_dir / "body-POST.md").read_text().splitlines()
    assert lines[1] == "### orbitctl plan failed for stack <code>prod</code>" and STAMP.match(lines[3]), lines[:4]


POOL = """\
version: 1
stack: prod
numbers:
  pool:
    country: US
    count: {count}
"""


@pytest.mark.parametrize(
    ("count", "inputs", "refused_by"),
    [
        # 2 of 8 released (25%): only allow-release stands in the way, at the threshold.
        (6, {}, ["allow-release"]),
        (6, {"ORBITCTL_ALLOW_RELEASE": "true"}, []),
        # 3 of 8 (37.5%): past the default 25%.
        (5, {}, ["allow-release", "force"]),
        (5, {"ORBITCTL_ALLOW_RELEASE": "true", "ORBITCTL_FORCE": "true"}, []),
        # 37.5% is within a max-release-percent of 38 (and past 37: the gate's own tests).
        (5, {"ORBITCTL_ALLOW_RELEASE": "true", "ORBITCTL_MAX_RELEASE_PERCENT": "38"}, []),
    ],
)
def test_the_comment_warns_exactly_when_the_apply_with_those_inputs_refuses_the_plan(
    github, sandbox_server, count, inputs, refused_by
):
    server = sandbox_server()
    seed_numbers(server.url, 8, tags=["orbitctl__prod__pool"])
    (github.repo / "numbers.yaml").write_text(POOL.format(count=count))

    planned = github.run("action-plan.sh", server.url, ORBITCTL_PR_NUMBER="7", ORBITCTL_UPLOAD_PLAN="true",
                         ORBITCTL_STACK="prod", **inputs)
    assert planned.returncode == 0, planned.stderr
    body = (github.gh_dir / "body-POST.md").read_text()
    warned = {name for name in ("allow-release", "force") if f"set `{name}: \"true\"`" in body}
    assert warned == set(refused_by)
    assert ("**The apply on merge will refuse this plan**" in body) == bool(refused_by)
    assert planned.stderr.count("::warning::orbitctl: the apply on merge will refuse this plan") == len(refused_by)
    if "force" in refused_by:
        assert f"releases {8 - count} of the 8 numbers stack `prod` manages" in body

    # The same inputs on apply: refused exactly when warned.
    plan_file = outputs(github.output)["plan-file"]
    flags = {"ORBITCTL_ALLOW_RELEASE": "--allow-release", "ORBITCTL_FORCE": "--force"}
    command = [str(Path(sys.executable).parent / "orbitctl"), "apply", plan_file, "--auto-approve"]
    command += [flags[name] for name, value in inputs.items() if name in flags and value == "true"]
    if "ORBITCTL_MAX_RELEASE_PERCENT" in inputs:
        command += ["--max-release-percent", inputs["ORBITCTL_MAX_RELEASE_PERCENT"]]
    env = os.environ | {"ORBIT_API_URL": server.url, "ORBIT_API_KEY": TEST_API_KEY}
    applied = run_process(command, cwd=github.repo, env=env, timeout=60)
    assert (applied.returncode != 0) == bool(refused_by), applied.stderr


def test_the_plan_file_is_an_output_only_when_it_is_to_be_uploaded(github, sandbox_server):
    server = sandbox_server()
    assert github.run("action-plan.sh", server.url).returncode == 0
    assert "plan-file" not in outputs(github.output)
    result = github.run("action-plan.sh", server.url, ORBITCTL_UPLOAD_PLAN="true", ORBITCTL_STACK="prod")
    assert result.returncode == 0, result.stderr
    plan_file = Path(outputs(github.output)["plan-file"])
    assert json.loads(plan_file.read_text())["kind"] == "orbitctl-plan"
    assert plan_file.stat().st_mode & 0o777 == 0o600
    missing_stack = github.run("action-plan.sh", server.url, ORBITCTL_UPLOAD_PLAN="true")
    assert missing_stack.returncode == 1 and "upload-plan needs the stack input" in missing_stack.stderr


# --- manifest errors as annotations -----------------------------------------------------------

BAD = MANIFEST.replace("label:", "labl:").replace("country: US", "country: us")
ANNOTATIONS = [
    "::error file={file},line=4,col=12::defaults.country: 'us' is not allowed",
    "::error file={file},line=7,col=5::numbers.support.labl: unknown key 'labl'",
]


@pytest.mark.parametrize("script", ["action-plan.sh", "action-apply.sh", "action-drift.sh", "action-validate.sh"])
def test_manifest_errors_are_annotations_on_their_file_and_line(github, sandbox_server, script):
    server = sandbox_server()
    (github.repo / "numbers.yaml").write_text(BAD)
    result = github.run(script, server.url, ORBITCTL_COMMENT="false")
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("::error file=")]
    assert len(lines) == 2
    for line, expected in zip(lines, ANNOTATIONS, strict=True):
        assert line.startswith(expected.format(file="numbers.yaml")), line


def test_annotations_name_the_file_from_the_repository_root(github):
    (github.repo / "numbers.yaml").write_text(BAD)
    result = github.run("action-validate.sh", GITHUB_WORKSPACE=str(github.repo.parent))
    assert result.returncode == 1
    assert ANNOTATIONS[1].format(file="repo/numbers.yaml") in result.stdout


def test_annotations_escape_what_workflow_commands_reserve(tmp_path):
    problems = [{"file": "a,b:c.yaml", "line": 3, "column": 1, "path": "numbers.x",
                 "message": "100% wrong\nsecond line: here, too"}]
    (tmp_path / "problems.json").write_text(json.dumps(problems))
    with (tmp_path / "problems.json").open() as stdin:
        done = run_process([sys.executable, str(SCRIPTS / "action-helper.py"), "annotations"], stdin=stdin,
                           env={"PATH": os.environ["PATH"]}, timeout=30)
    assert done.stdout == "::error file=a%2Cb%3Ac.yaml,line=3,col=1::numbers.x: 100%25 wrong%0Asecond line: here, too\n"


def test_validate_needs_no_api_key_and_reports_in_the_summary(github):
    good = github.run("action-validate.sh")
    assert good.returncode == 0, good.stderr
    assert "Valid: stack prod, 1 entry (1 number)." in github.summary.read_text()
    assert outputs(github.output) == {"exitcode": "0"}
    (github.repo / "numbers.yaml").write_text(BAD)
    bad = github.run("action-validate.sh")
    assert bad.returncode == 1
    summary = github.summary.read_text()
    assert summary.startswith("### orbitctl validate failed") and "unknown key 'labl'" in summary


# --- the apply's outcome on the merged pull request ---------------------------------------------


@pytest.mark.parametrize(
    ("pull_request", "posted"),
    [
        (merged_pull_request(), True),  # a merge or squash commit
        (merged_pull_request(merge_commit_sha="c" * 40, head={"sha": MERGE_SHA, "ref": "x"}), True),  # fast-forward
        (merged_pull_request(merged_at=None), False),  # an open pull request that contains the commit
        (merged_pull_request(merge_commit_sha="c" * 40), False),  # merged elsewhere
    ],
)
def test_the_apply_outcome_is_posted_to_the_pull_request_the_commit_merged(
    github, sandbox_server, pull_request, posted
):
    server = sandbox_server()
    github.route(f"repos/{REPO}/commits/{MERGE_SHA}/pulls", [pull_request])
    result = github.run("action-apply.sh", server.url, ORBITCTL_STACK="prod", ORBITCTL_GH_ATTEMPTS="1")
    assert result.returncode == 0, result.stderr
    writes = github.writes()
    if not posted:
        assert writes == []
        return
    ((method, endpoint, body),) = writes
    assert (method, endpoint) == ("POST", f"repos/{REPO}/issues/7/comments")
    assert body.startswith("<!-- orbitctl-apply:stack=prod -->\n### orbitctl apply for stack <code>prod</code>")
    assert re.search(rf"^Commit {MERGE_SHA} · applied \d{{4}}-", body, flags=re.MULTILINE)
    assert "Succeeded." in body and "support: purchase" in body
    assert body == github.summary.read_text()


def test_a_failed_apply_is_posted_too_and_a_pull_request_github_does_not_know_yet_is_asked_again(
    github, sandbox_server
):
    server = sandbox_server()
    github.route(f"repos/{REPO}/commits/{MERGE_SHA}/pulls", [])
    (github.repo / "numbers.yaml").write_text(MANIFEST.replace("country: US", "country: XX"))
    result = github.run("action-apply.sh", server.url, ORBITCTL_GH_ATTEMPTS="3")
    assert result.returncode == 1
    assert sum(f"repos/{REPO}/commits/{MERGE_SHA}/pulls" in call for call in github.calls()) == 3
    github.route(f"repos/{REPO}/commits/{MERGE_SHA}/pulls", [merged_pull_request()])
    again = github.run("action-apply.sh", server.url)
    assert again.returncode == 1
    ((_, _, body),) = github.writes()
    assert "**Failed** (exit 1)." in body and "'XX' is not an ISO 3166-1" in body


def test_no_outcome_comment_when_comments_are_off(github, sandbox_server):
    server = sandbox_server()
    github.route(f"repos/{REPO}/commits/{MERGE_SHA}/pulls", [merged_pull_request()])
    assert github.run("action-apply.sh", server.url, ORBITCTL_COMMENT="false").returncode == 0
    assert github.calls() == []


# --- apply-reviewed: carry out the plan the pull request showed -------------------------------

PLAN_RUNS = f"repos/{REPO}/actions/workflows/orbitctl-plan.yml/runs"
ARTIFACT = "orbitctl-plan-prod"


def saved_plan(github, server, manifests="numbers.yaml", *, by_the_action=False) -> str:
    """A plan of the workspace saved as the plan step saves it (``by_the_action``: by the step)."""
    if by_the_action:
        planned = github.run("action-plan.sh", server.url, ORBITCTL_UPLOAD_PLAN="true", ORBITCTL_STACK="prod",
                             ORBITCTL_MANIFESTS=manifests)
        assert planned.returncode == 0, planned.stderr
        return Path(outputs(github.output)["plan-file"]).read_text()
    command = [str(Path(sys.executable).parent / "orbitctl"), "plan", manifests, "--out", "../saved.json"]
    env = os.environ | {"ORBIT_API_URL": server.url, "ORBIT_API_KEY": TEST_API_KEY}
    planned = run_process(command, cwd=github.repo, env=env, timeout=60)
    assert planned.returncode == 0, planned.stderr
    return (github.repo.parent / "saved.json").read_text()


def reviewed_plan(github, server, run_id=101, head_sha=HEAD_SHA, started="2025-01-02T09:00:00Z",
                  by_the_action=False, **run) -> dict:
    """Plan the workspace as the plan workflow does, and file the saved plan as the artifact of a
    plan run of the merged pull request; returns the run."""
    github.artifact(run_id, ARTIFACT, {"orbitctl-plan.json": saved_plan(github, server, by_the_action=by_the_action)})
    github.route(f"repos/{REPO}/actions/runs/{run_id}/artifacts",
                 {"artifacts": [{"id": run_id * 10, "name": ARTIFACT, "expired": False}]})
    return plan_run(run_id, head_sha, started, **run)


def merged(github, runs, pull_request=None, commits=(HEAD_SHA,)):
    github.route(f"repos/{REPO}/commits/{MERGE_SHA}/pulls", [pull_request or merged_pull_request()])
    github.route(f"repos/{REPO}/pulls/7/commits", [{"sha": sha} for sha in commits])
    github.route(PLAN_RUNS, {"workflow_runs": runs})


def apply_reviewed(github, server, **env):
    return github.run("action-apply.sh", server.url, ORBITCTL_STACK="prod", ORBITCTL_REVIEWED="true",
                      ORBITCTL_GH_ATTEMPTS="1", **env)


def numbers(server):
    with OrbitClient(TEST_API_KEY, server.url) as client:
        return list(client.iter_numbers())


def test_apply_reviewed_carries_out_the_plan_of_the_merged_pull_request(github, sandbox_server):
    server = sandbox_server()
    merged(github, [reviewed_plan(github, server, by_the_action=True)])
    result = apply_reviewed(github, server)
    assert result.returncode == 0, result.stderr
    (number,) = numbers(server)
    assert number.get("label") == "Support line"
    assert f"carrying out the plan of https://github.com/{REPO}/actions/runs/101 (commit {HEAD_SHA})" in result.stdout
    assert f"run download 101 --repo {REPO} --name {ARTIFACT} --dir " in "\n".join(github.calls())
    downloaded = next(Path(github.gh_dir / "runner").glob("orbitctl.*/reviewed/orbitctl-plan.json"))
    assert downloaded.stat().st_mode & 0o777 == 0o600
    summary = github.summary.read_text()
    assert f"The reviewed plan: [plan run](https://github.com/{REPO}/actions/runs/101)." in summary
    assert "Succeeded." in summary
    ((method, endpoint, body),) = github.writes()
    assert (method, endpoint, body) == ("POST", f"repos/{REPO}/issues/7/comments", summary)


def test_apply_reviewed_refuses_a_plan_the_account_outran_and_buys_nothing_twice(github, sandbox_server):
    server = sandbox_server()
    merged(github, [reviewed_plan(github, server)])
    # The entry's number was bought in between (another apply): the reviewed plan is stale.
    seed_numbers(server.url, 1, tags=["orbitctl__prod__support"], label="Support line")
    result = apply_reviewed(github, server)
    assert result.returncode == 1
    assert len(numbers(server)) == 1
    assert "is stale" in result.stdout
    assert "::error::orbitctl action: the reviewed plan no longer fits the account or the manifests" in result.stderr
    assert "run the workflow orbitctl-plan.yml on this branch" in result.stderr
    summary = github.summary.read_text()
    assert "**Refused**: the reviewed plan no longer fits the account or the manifests. Nothing was changed." in summary
    assert "To re-plan: run the workflow orbitctl-plan.yml" in summary
    assert github.writes()[0][2] == summary


def test_apply_reviewed_refuses_a_plan_of_other_manifests_than_those_merged(github, sandbox_server):
    server = sandbox_server()
    merged(github, [reviewed_plan(github, server)])
    (github.repo / "numbers.yaml").write_text(MANIFEST.replace("Support line", "Support line (edited)"))
    result = apply_reviewed(github, server)
    assert result.returncode == 1
    assert "the manifest changed since the plan was made" in result.stdout
    assert numbers(server) == []


@pytest.mark.parametrize(("newer", "applied_label"), [(102, "Support line"), (101, None)])
def test_apply_reviewed_takes_the_plan_run_that_started_last(github, sandbox_server, newer, applied_label):
    """Run 101 planned an older revision of the manifests, run 102 the merged one: the run shown in
    the comment last (the newest) is carried out, and an older one is refused as stale."""
    server = sandbox_server()
    merged_manifest = (github.repo / "numbers.yaml").read_text()
    (github.repo / "numbers.yaml").write_text(MANIFEST.replace("Support line", "Old label"))
    first_started = "2025-01-02T09:00:00Z" if newer == 102 else "2025-01-02T11:00:00Z"
    first = reviewed_plan(github, server, 101, started=first_started)
    (github.repo / "numbers.yaml").write_text(merged_manifest)
    second = reviewed_plan(github, server, 102, started="2025-01-02T10:00:00Z")
    merged(github, [second, first])
    result = apply_reviewed(github, server)
    assert f"runs/{newer} " in result.stdout
    assert result.returncode == (0 if applied_label else 1), result.stdout + result.stderr
    assert [number.get("label") for number in numbers(server)] == ([applied_label] if applied_label else [])


def test_apply_reviewed_ignores_runs_of_forks_and_of_commits_outside_the_pull_request(github, sandbox_server):
    server = sandbox_server()
    good = reviewed_plan(github, server, 101)
    fork = plan_run(102, HEAD_SHA, "2025-01-02T12:00:00Z", head_repository={"full_name": "mallory/phone-numbers"})
    other = plan_run(103, "d" * 40, "2025-01-02T12:00:00Z")  # another pull request from a branch of that name
    elsewhere = plan_run(104, HEAD_SHA, "2025-01-02T12:00:00Z", head_branch="other-branch")
    for run in (fork, other, elsewhere):
        github.artifact(run["id"], ARTIFACT, {"orbitctl-plan.json": "{}"})
    merged(github, [fork, other, elsewhere, good])
    result = apply_reviewed(github, server)
    assert result.returncode == 0, result.stderr
    assert "runs/101 " in result.stdout
    assert "pull_request" in next(call for call in github.calls() if PLAN_RUNS in call)


def test_apply_reviewed_takes_a_newer_plan_run_by_hand_on_the_merged_commit(github, sandbox_server):
    """After a refusal the fix is to run the plan workflow on the branch: that run plans the merged
    commit itself (event workflow_dispatch) and is carried out when the job is re-run."""
    server = sandbox_server()
    stale = reviewed_plan(github, server, 101)
    (github.repo / "numbers.yaml").write_text(MANIFEST.replace("Support line", "Merged label"))
    by_hand = reviewed_plan(github, server, 102, head_sha=MERGE_SHA, started="2025-01-03T09:00:00Z",
                            event="workflow_dispatch", head_branch="main")
    merged(github, [stale, by_hand])
    result = apply_reviewed(github, server)
    assert result.returncode == 0, result.stderr
    assert [number.get("label") for number in numbers(server)] == ["Merged label"]


def test_apply_reviewed_without_a_pull_request_uses_a_plan_run_by_hand_or_refuses(github, sandbox_server):
    server = sandbox_server()
    github.route(f"repos/{REPO}/commits/{MERGE_SHA}/pulls", [])
    github.route(PLAN_RUNS, {"workflow_runs": []})
    refused = apply_reviewed(github, server)
    assert refused.returncode == 1
    assert f"commit {MERGE_SHA} did not merge a pull request and has no run of orbitctl-plan.yml" in refused.stderr
    assert "**Refused**" in github.summary.read_text() and numbers(server) == []
    by_hand = reviewed_plan(github, server, 102, head_sha=MERGE_SHA, event="workflow_dispatch", head_branch="main")
    github.route(PLAN_RUNS, {"workflow_runs": [by_hand]})
    assert apply_reviewed(github, server).returncode == 0
    assert len(numbers(server)) == 1


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no-runs", "pull request #7 has no run of orbitctl-plan.yml, so there is no reviewed plan"),
        ("running", "the newest plan run (https://github.com/acme/phone-numbers/actions/runs/101) has not finished"),
        ("expired", "has no artifact orbitctl-plan-prod: the plan failed, its step does not set upload-plan"),
        ("failed", "has no artifact orbitctl-plan-prod"),
        ("other-manifests", "the reviewed plan was made from other.yaml, but the manifests input is numbers.yaml"),
        ("refused", f"cannot ask GitHub which pull request merged {MERGE_SHA}"),
        ("no-actions-read", "cannot list the runs of orbitctl-plan.yml for pull request #7 (the job needs permissions: "
                            "actions: read)"),
    ],
)
def test_apply_reviewed_refuses_without_a_plan_it_can_carry_out(github, sandbox_server, setup, message):
    server = sandbox_server()
    env = {}
    if setup == "other-manifests":
        (github.repo / "other.yaml").write_text(MANIFEST)
        github.artifact(101, ARTIFACT, {"orbitctl-plan.json": saved_plan(github, server, "other.yaml")})
        github.route(f"repos/{REPO}/actions/runs/101/artifacts",
                     {"artifacts": [{"id": 1, "name": ARTIFACT, "expired": False}]})
        run = plan_run(101, HEAD_SHA, "2025-01-02T09:00:00Z")
    else:
        run = reviewed_plan(github, server)
    runs = [run]
    if setup == "no-runs":
        runs = []
    elif setup == "running":
        run |= {"status": "in_progress", "conclusion": None}
    elif setup == "expired":
        github.route(f"repos/{REPO}/actions/runs/101/artifacts",
                     {"artifacts": [{"id": 1, "name": ARTIFACT, "expired": True}]})
    elif setup == "failed":
        run |= {"conclusion": "failure"}
        github.route(f"repos/{REPO}/actions/runs/101/artifacts", {"artifacts": []})
    elif setup == "refused":
        env["FAKE_GH_REFUSE"] = "GET"
    elif setup == "no-actions-read":
        env["FAKE_GH_REFUSE"] = "/actions/"
    merged(github, runs)
    result = apply_reviewed(github, server, **env)
    assert result.returncode == 1
    assert message in result.stderr
    assert "To re-plan" in github.summary.read_text() or setup == "other-manifests"
    assert numbers(server) == []


def test_apply_reviewed_needs_the_stack_input(github):
    result = github.run("action-apply.sh", ORBITCTL_REVIEWED="true")
    assert result.returncode == 1
    assert "mode apply-reviewed needs the stack input" in result.stderr
    assert github.calls() == []


# --- drift and plan while an apply runs ---------------------------------------------------------

APPLY_RUNS = f"repos/{REPO}/actions/workflows/orbitctl-apply.yml/runs"


def apply_run(run_id: int, status: str, updated: float | None = None) -> dict:
    """A run of the apply workflow; ``updated`` in epoch seconds (now when None)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if updated is None else updated))
    return {"id": run_id, "status": status, "updated_at": stamp, "run_started_at": stamp,
            "html_url": f"https://github.com/{REPO}/actions/runs/{run_id}"}


def drift_check(github, server, runs, **env):
    github.route(APPLY_RUNS, {"workflow_runs": runs})
    return github.run("action-drift.sh", server.url, ORBITCTL_APPLY_WORKFLOW="orbitctl-apply.yml", **env)


def drifted_account(github, server):
    """The stack's number with a label changed by hand: a drift check fails."""
    seed_numbers(server.url, 1, tags=["orbitctl__prod__support"], label="Changed by hand")


def test_drift_during_a_running_apply_says_so_without_reading_the_account(github, sandbox_server):
    server = sandbox_server()
    drifted_account(github, server)
    result = drift_check(github, server, [apply_run(55, "in_progress"), apply_run(54, "completed", 0)])
    assert result.returncode == 0, result.stderr
    assert ("::warning::orbitctl action: an apply ran during the drift check, so it reports nothing: "
            f"https://github.com/{REPO}/actions/runs/55") in result.stderr
    assert outputs(github.output) == {"inconclusive": "true"}  # no plan was made
    summary = github.summary.read_text()
    assert summary.startswith("### orbitctl drift check: inconclusive")
    assert f"- https://github.com/{REPO}/actions/runs/55\n" in summary and "runs/54" not in summary


def test_drift_when_an_apply_finished_during_the_check_is_inconclusive(github, sandbox_server):
    server = sandbox_server()
    drifted_account(github, server)
    result = drift_check(github, server, [apply_run(56, "completed", time.time() + 5)], ORBITCTL_STACK="prod")
    assert result.returncode == 0, result.stderr
    assert outputs(github.output)["inconclusive"] == "true"
    assert github.summary.read_text().startswith("### orbitctl drift check for stack <code>prod</code>: inconclusive")


@pytest.mark.parametrize(
    "runs",
    [
        [apply_run(50, "completed", time.time() - 3600)],  # finished an hour before
        [apply_run(900, "in_progress")],  # this very run (a workflow that plans and applies)
        [apply_run(51, "queued")],  # waiting: it has not touched the account
    ],
)
def test_drift_is_reported_when_no_apply_overlapped(github, sandbox_server, runs):
    server = sandbox_server()
    drifted_account(github, server)
    result = drift_check(github, server, runs)
    assert result.returncode == 1
    assert "drifted from the manifests" in result.stderr
    assert outputs(github.output)["inconclusive"] == "false"
    assert outputs(github.output)["has-changes"] == "true"


def test_drift_that_cannot_list_the_apply_runs_warns_and_still_reports(github, sandbox_server):
    server = sandbox_server()
    drifted_account(github, server)
    result = drift_check(github, server, [apply_run(55, "in_progress")], FAKE_GH_REFUSE="GET")
    assert result.returncode == 1
    assert "cannot tell whether an apply ran meanwhile" in result.stderr
    assert "permissions: actions: read" in result.stderr
    assert outputs(github.output)["has-changes"] == "true"


def test_drift_without_an_apply_workflow_asks_nothing(github, sandbox_server):
    server = sandbox_server()
    result = github.run("action-drift.sh", server.url)  # the entry is not bought yet: drift
    assert result.returncode == 1 and "drifted from the manifests" in result.stderr
    assert github.calls() == []


def test_a_plan_made_while_an_apply_ran_says_it_may_be_stale(github, sandbox_server):
    server = sandbox_server()
    github.route(APPLY_RUNS, {"workflow_runs": [apply_run(55, "in_progress")]})
    env = {"ORBITCTL_PR_NUMBER": "7", "ORBITCTL_APPLY_WORKFLOW": "orbitctl-apply.yml"}
    result = github.run("action-plan.sh", server.url, **env)
    assert result.returncode == 0, result.stderr
    body = (github.gh_dir / "body-POST.md").read_text()
    assert f"> An apply ran while this plan read the account (https://github.com/{REPO}/actions/runs/55)" in body
    github.route(APPLY_RUNS, {"workflow_runs": [apply_run(50, "completed", time.time() - 3600)]})
    github.run("action-plan.sh", server.url, **env)
    assert "An apply ran" not in (github.gh_dir / "body-POST.md").read_text()
