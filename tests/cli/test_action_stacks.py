"""The GitHub Action over a repository of several stacks: a matrix job per stack (its own
credentials, its own concurrency group), each plan job's section combined by one last job into
one pull-request comment. The step scripts run for real as in test_action.py (its fake runner),
each stack against a sandbox account of its own."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.cli.test_action import ACTION, HEAD_SHA, MANIFEST, REPO, ROOT, SCRIPTS, STAMP, github, outputs
from tests.cli.test_docs import RECIPES
from tests.conftest import TEST_API_KEY
from tests.processes import run_process
from tests.seed import seed_numbers

__all__ = ["github"]  # the fake runner, a fixture of test_action.py

STACKS_DIR = "stacks"
MARKER = "<!-- orbitctl-plan:stacks -->"


def combiner():
    spec = importlib.util.spec_from_file_location("plan_comment", SCRIPTS / "plan-comment.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclass looks its module up
    spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules[spec.name]


def write_stack(github, stack: str, text: str) -> str:
    folder = github.repo / STACKS_DIR / stack
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "numbers.yaml").write_text(text)
    return f"{STACKS_DIR}/{stack}"


def plan_section(github, server, stack: str, downloaded: Path, **env):
    """The matrix job of ``stack``: the plan step with comment "section", its section then
    'uploaded' into ``downloaded`` (as download-artifact with merge-multiple leaves them)."""
    result = github.run("action-plan.sh", server and server.url, ORBITCTL_STACK=stack, ORBITCTL_COMMENT="section",
                        ORBITCTL_MANIFESTS=f"{STACKS_DIR}/{stack}", ORBITCTL_PR_NUMBER="7",
                        ORBITCTL_HEAD_SHA=HEAD_SHA, **env)
    section = outputs(github.output).get("section")
    if section:
        downloaded.mkdir(exist_ok=True)
        shutil.copytree(section, downloaded, dirs_exist_ok=True)
    return result


def comment_job(github, downloaded: Path, stacks: str):
    return github.run("action-comment.sh", ORBITCTL_SECTIONS=str(downloaded), ORBITCTL_STACKS=stacks,
                      ORBITCTL_PR_NUMBER="7", ORBITCTL_HEAD_SHA=HEAD_SHA)


def test_several_stacks_make_one_comment_with_a_section_each_even_when_one_fails(github, sandbox_server):
    prod, staging = sandbox_server(), sandbox_server()  # two accounts
    write_stack(github, "prod", MANIFEST)
    write_stack(github, "staging", MANIFEST.replace("stack: prod", "stack: staging").replace("US", "XX"))
    downloaded = github.gh_dir / "sections"

    planned = plan_section(github, prod, "prod", downloaded)
    assert planned.returncode == 0, planned.stderr
    assert outputs(github.output)["exitcode"] == "2"
    failed = plan_section(github, staging, "staging", downloaded)
    assert failed.returncode == 1
    assert github.calls() == []  # the plan jobs post nothing themselves

    combined = comment_job(github, downloaded, "prod staging eu")
    assert combined.returncode == 1  # a stack failed (and eu sent nothing)
    assert "::error::orbitctl: the plan of a stack failed or is missing" in combined.stderr
    assert outputs(github.output) == {"exitcode": "1"}
    ((method, endpoint, body),) = github.writes()
    assert (method, endpoint) == ("POST", f"repos/{REPO}/issues/7/comments")
    assert body == github.summary.read_text()
    lines = body.splitlines()
    assert lines[:2] == [MARKER, "## orbitctl plan of 3 stacks"] and STAMP.match(lines[3]), lines[:4]
    assert "| <code>prod</code> | Plan: 1 to purchase, 0 to update, 0 to release (+1.50 USD/month). |" in lines
    assert any(line.startswith("| <code>staging</code> | **failed**: ") and "XX" in line for line in lines)
    assert "| <code>eu</code> | **failed**: no plan (see its job's log) |" in lines
    sections = body.split("\n---\n")[1:]
    assert [section.split("\n")[1] for section in sections] == [
        "<!-- orbitctl-plan:stack=prod -->",
        "<!-- orbitctl-plan:stack=staging -->",
        "### orbitctl plan for stack <code>eu</code>: no plan",
    ]
    assert "to purchase" in sections[0] and "support" in sections[0]
    assert "### orbitctl plan failed for stack <code>staging</code>" in sections[1]
    assert "'XX' is not an ISO 3166-1" in sections[1] and "to purchase" not in sections[1]

    # The next run edits that comment in place, and leaves other comments alone.
    github.comments([{"id": 21, "body": "<!-- orbitctl-plan:stack=prod -->\na single stack's comment"},
                     {"id": 22, "body": body}])
    write_stack(github, "staging", MANIFEST.replace("stack: prod", "stack: staging"))
    assert plan_section(github, staging, "staging", downloaded).returncode == 0
    again = comment_job(github, downloaded, "prod staging")
    assert again.returncode == 0, again.stderr
    assert outputs(github.output) == {"exitcode": "2", "has-changes": "true"}
    (method, endpoint, body) = github.writes()[-1]
    assert (method, endpoint) == ("PATCH", f"repos/{REPO}/issues/comments/22")
    assert "failed" not in body and body.count("to purchase") >= 2


def test_a_stack_the_manifests_disagree_with_is_a_failed_section_before_the_account_is_read(github, sandbox_server):
    server = sandbox_server()
    write_stack(github, "staging", MANIFEST)  # says stack: prod
    downloaded = github.gh_dir / "sections"
    result = plan_section(github, server, "staging", downloaded)
    assert result.returncode == 1
    assert "the manifests are stack prod, but the stack input is staging" in result.stderr
    meta = json.loads((downloaded / "staging.json").read_text())
    assert meta["exitcode"] == 1 and meta["summary"].startswith("orbitctl action: the manifests are stack prod")
    assert "but the stack input is staging" in (downloaded / "staging.md").read_text()
    assert "Saved the plan" not in result.stderr and github.calls() == []


def test_comment_section_needs_the_stack_input_and_is_for_plan_mode_only(github):
    plan = github.run("action-plan.sh", ORBITCTL_COMMENT="section")
    assert plan.returncode == 1 and 'comment "section" needs the stack input' in plan.stderr
    apply = github.run("action-apply.sh", ORBITCTL_COMMENT="section", ORBITCTL_STACK="prod")
    assert apply.returncode == 1 and 'comment "section" is for plan mode' in apply.stderr
    bad = github.run("action-comment.sh", ORBITCTL_STACKS="prod Staging!")
    assert bad.returncode == 1 and "the stacks input 'Staging!' is not a stack name" in bad.stderr


def test_long_sections_share_the_comment_and_stay_well_formed():
    plan_comment = combiner()
    fence = "```"
    long_plan = "\n".join(
        ["<!-- orbitctl-plan:stack=big -->", "### orbitctl plan for stack <code>big</code>", "",
         "<details><summary>9000 to purchase</summary>", "", f"{fence}diff"]
        + [f"+   pool-{index}  +15550{index:06d}" for index in range(9000)]
        + [fence, "", "</details>", "", "**Plan: 9000 to purchase.**"]
    )
    found = {f"big{index}": plan_comment.Section(f"big{index}", 2, "Plan: 9000 to purchase.",
                                                long_plan.replace("big", f"big{index}")) for index in range(3)}
    small = "### orbitctl plan for stack <code>small</code>\n\nNo changes.\n"
    found["small"] = plan_comment.Section("small", 0, "", small)
    text, exitcode = plan_comment.combine(found, "Commit x · planned now", ["small"])
    assert exitcode == 2
    assert len(text) < 65_536
    assert "No changes." in text  # a short section whole
    for index in range(3):
        section = text.split(f"<!-- orbitctl-plan:stack=big{index} -->")[1].split("\n---\n")[0]
        assert 15_000 < len(section) < 20_500  # a fair share each
        assert section.count("<details>") == section.count("</details>") == 1
        assert re.findall(r"^```", section, flags=re.MULTILINE) == ["```", "```"]  # opened and closed
        assert f"The rest of stack `big{index}`'s plan does not fit in this comment" in section


# --- the workflows of several stacks (docs/ci/stacks-*.yml) --------------------------------------

STACK_RECIPES = {f"stacks-{name}": mode for name, mode in RECIPES.items()}


def recipe(name: str) -> dict:
    return yaml.safe_load((ROOT / "docs" / "ci" / name).read_text())


def orbitctl_steps(job: dict) -> list[dict]:
    return [step for step in job["steps"] if "orbitctl" in str(step.get("uses", ""))]


def matrix_stacks(job: dict) -> list[str]:
    return [entry["stack"] for entry in job["strategy"]["matrix"]["include"]]


@pytest.mark.parametrize(("name", "mode"), STACK_RECIPES.items())
def test_each_stack_is_a_matrix_job_using_the_action_with_inputs_it_has(name, mode):
    (job,) = [job for job in recipe(name)["jobs"].values() if "strategy" in job]
    assert job["strategy"]["fail-fast"] is False  # one stack's failure never cancels another's job
    for entry in job["strategy"]["matrix"]["include"]:
        assert entry["manifests"] == f"{STACKS_DIR}/{entry['stack']}"
    (step,) = orbitctl_steps(job)
    assert set(step["with"]) <= set(ACTION["inputs"])
    assert step["with"]["mode"] == mode
    assert step["with"]["stack"] == "${{ matrix.stack }}" and step["with"]["manifests"] == "${{ matrix.manifests }}"
    if mode == "validate":
        assert "secrets" not in (ROOT / "docs" / "ci" / name).read_text()  # offline: forks too


def test_applies_and_drift_checks_have_a_concurrency_group_per_stack_of_their_own():
    """Two applies of one stack never run at once, and a drift check never queues in (and so
    never cancels) an apply's group."""
    apply, drift = recipe("stacks-apply.yml")["jobs"]["apply"], recipe("stacks-drift.yml")["jobs"]["drift"]
    assert apply["concurrency"] == {"group": "orbitctl-${{ matrix.stack }}", "cancel-in-progress": False}
    assert drift["concurrency"] == {"group": "orbitctl-drift-${{ matrix.stack }}", "cancel-in-progress": False}
    for name in STACK_RECIPES:
        assert "concurrency" not in recipe(name) or name == "stacks-plan.yml"
    assert recipe("stacks-plan.yml")["concurrency"]["cancel-in-progress"] is True
    upload = next(step for step in drift["steps"] if step.get("name") == "Keep the plan JSON")
    assert upload["with"]["name"] == "orbitctl-drift-plan-${{ matrix.stack }}"  # one artifact name per stack


def test_the_plan_jobs_send_sections_and_one_last_job_writes_the_comment_for_every_stack():
    jobs = recipe("stacks-plan.yml")["jobs"]
    stacks, last = jobs["plan-stack"], jobs["plan"]
    (plan,) = orbitctl_steps(stacks)
    assert plan["with"]["comment"] == "section" and plan["with"]["upload-plan"] == "true"
    assert last["needs"] == "plan-stack"
    assert last["if"].startswith("${{ !cancelled() && ")  # after failed plans too, never for a superseded run
    (comment,) = orbitctl_steps(last)
    assert comment["with"]["mode"] == "comment"
    assert comment["with"]["stacks"].split() == matrix_stacks(stacks)
    apply = orbitctl_steps(recipe("stacks-apply.yml")["jobs"]["apply"])[0]
    for gate in ("allow-release", "force", "max-release-percent"):
        assert plan["with"].get(gate) == apply["with"].get(gate)


def credentials_step(name: str) -> dict:
    (job,) = [job for job in recipe(name)["jobs"].values() if "strategy" in job]
    return next(step for step in job["steps"] if str(step.get("name", "")).startswith("The credentials"))


def test_each_job_reads_only_its_own_stacks_secrets_into_the_variables_its_manifest_names(tmp_path):
    step = credentials_step("stacks-plan.yml")
    for name in ("stacks-apply.yml", "stacks-drift.yml"):
        assert credentials_step(name) == step  # one recipe, in each workflow
    assert step["env"]["KEY"] == "${{ secrets[matrix.api_key_secret] }}"
    assert "${{" not in step["run"]  # no expression spliced into the script

    def run(**env):
        github_env = tmp_path / "github_env"
        github_env.write_text("")
        done = run_process(["bash", "-c", step["run"]], env={"PATH": "/usr/bin:/bin", "GITHUB_ENV": str(github_env),
                                                             **env}, timeout=30)
        return done, github_env.read_text()

    done, written = run(KEY_ENV="ORBIT_API_KEY_STAGING", KEY_SECRET="ORBIT_API_KEY_STAGING", KEY="dv_test_sk_1",
                        URL_ENV="ORBIT_API_URL_STAGING", URL="https://staging.example")
    assert done.returncode == 0, done.stderr
    assert written == "ORBIT_API_KEY_STAGING=dv_test_sk_1\nORBIT_API_URL_STAGING=https://staging.example\n"
    done, written = run(KEY_ENV="ORBIT_API_KEY_PROD", KEY_SECRET="ORBIT_API_KEY_PROD", KEY="", URL_ENV="", URL="")
    assert done.returncode == 1 and written == ""
    assert "::error::no API key for ORBIT_API_KEY_PROD: the secret ORBIT_API_KEY_PROD is missing" in done.stdout


# --- each job's own credentials: the variables its manifest's `account:` names ------------------


def with_account(manifest: str, stack: str) -> str:
    name = stack.upper()
    return manifest.replace("stack: prod", f"stack: {stack}\naccount:\n  api_key_env: ORBIT_API_KEY_{name}\n"
                            f"  api_url_env: ORBIT_API_URL_{name}")


def credentials(stack: str, server) -> dict[str, str]:
    return {f"ORBIT_API_KEY_{stack.upper()}": TEST_API_KEY, f"ORBIT_API_URL_{stack.upper()}": server.url}


def test_each_stacks_job_plans_its_own_account_with_the_variables_its_manifest_names(github, sandbox_server):
    prod, staging = sandbox_server(), sandbox_server()
    seed_numbers(staging.url, 1, tags=["orbitctl__staging__support"], label="Support line")  # staging: done
    for stack in ("prod", "staging"):
        write_stack(github, stack, with_account(MANIFEST, stack))
    downloaded = github.gh_dir / "sections"
    planned = plan_section(github, None, "prod", downloaded, **credentials("prod", prod))
    assert planned.returncode == 0, planned.stderr
    assert outputs(github.output)["exitcode"] == "2"  # its account lacks the number
    planned = plan_section(github, None, "staging", downloaded, **credentials("staging", staging))
    assert planned.returncode == 0, planned.stderr
    assert outputs(github.output)["exitcode"] == "0"  # its own account has it
    # A job without its stack's variable: that stack's section says which one.
    missing = plan_section(github, None, "staging", downloaded, **credentials("prod", prod))
    assert missing.returncode == 1
    assert "ORBIT_API_KEY_STAGING is not set" in (downloaded / "staging.md").read_text()


def test_the_stack_check_holds_per_job_without_credentials_and_one_stack_a_job(github):
    write_stack(github, "staging", with_account(MANIFEST, "staging"))
    write_stack(github, "prod", with_account(MANIFEST, "prod"))
    offline = {"ORBITCTL_MANIFESTS": "stacks/staging"}
    assert github.run("action-validate.sh", ORBITCTL_STACK="staging", **offline).returncode == 0
    wrong = github.run("action-validate.sh", ORBITCTL_STACK="prod", **offline)
    assert wrong.returncode == 1
    assert "the manifests are stack staging, but the stack input is prod" in wrong.stderr
    both = github.run("action-plan.sh", ORBITCTL_STACK="prod", ORBITCTL_MANIFESTS="stacks/prod stacks/staging")
    assert both.returncode == 1
    assert "the manifests input holds the stacks prod, staging, but the action takes one stack a job" in both.stderr
    assert github.calls() == []


@pytest.mark.parametrize("name", ["stacks-plan.yml", "stacks-apply.yml", "stacks-drift.yml"])
def test_the_matrix_names_the_variables_the_example_stacks_manifests_read_their_credentials_from(name):
    """The recipes' matrix is the example tree's (examples/stacks/, docs/stacks.md): each entry's
    variables are those its stack's `account:` names (ORBIT_API_KEY without one)."""
    from orbitctl.environment import BASE_URL_VARIABLE
    from orbitctl.manifest import load_manifests

    (job,) = [job for job in recipe(name)["jobs"].values() if "strategy" in job]
    entries = job["strategy"]["matrix"]["include"]
    examples = ROOT / "examples" / STACKS_DIR
    assert sorted(entry["stack"] for entry in entries) == sorted(path.name for path in examples.iterdir())
    for entry in entries:
        account = load_manifests([examples.parent / entry["manifests"]]).account
        assert entry["api_key_env"] == account.api_key_env, entry
        assert entry["api_url_env"] == ("" if account.api_url_env == BASE_URL_VARIABLE else account.api_url_env), entry
