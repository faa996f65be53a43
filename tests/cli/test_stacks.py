"""Several stacks in one run (``orbitctl plan DIR...``, ``apply DIR...``): a section per stack,
a failure in one not hiding the others, combined exit codes, apply stopping before the next stack
(or going on with --keep-going), accounts per stack, budgets; and the examples/stacks tree."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from orbitctl.model import ownership_tag
from orbitctl.render.plan_json import PLAN_SCHEMA_PATH
from orbitctl.render.stacks import PLANS_SCHEMA_PATH
from orbitctl.sandbox.store import read_state
from tests.conftest import TEST_API_KEY
from tests.helpers import run

ROOT = Path(__file__).resolve().parents[2]
STAGING_KEY = "dv_test_sk_staging_account_0001"


@pytest.fixture
def repo(tmp_path):
    """The test's folder as a checkout: ``.orbitctl/`` (locks, journal, --sandbox accounts) at its root."""
    (tmp_path / ".git").mkdir()
    return tmp_path


def stack(root: Path, name: str, numbers: str, *, top: str = "") -> str:
    """A folder ``root/name`` holding the manifest of stack ``name``; its path as given to orbitctl."""
    folder = root / name
    folder.mkdir()
    (folder / "numbers.yaml").write_text(f"version: 1\nstack: {name}\n{top}numbers:\n{numbers}")
    return str(folder)


ONE = "  line: {country: US, type: local, area_code: \"415\"}\n"
TWO = ONE + "  other: {country: US, type: local, area_code: \"212\"}\n"
BROKEN = "  line: {country: US, type: lokal}\n"


def sandbox_numbers(path: Path) -> list[dict]:
    return list(read_state(path)["numbers"].values()) if path.exists() else []


def stacks_holding(path: Path) -> set[str]:
    """The stacks whose ownership tags the numbers of the sandbox account at ``path`` carry."""
    found = set()
    for number in sandbox_numbers(path):
        for tag in number.get("tags") or []:
            if tag.startswith("orbitctl__"):
                found.add(tag.split("__")[1])
    return found


def test_two_stacks_plan_in_sections_and_one_failing_does_not_hide_the_other(repo):
    good = stack(repo, "alpha", ONE)
    bad = stack(repo, "beta", BROKEN)
    result = run("--sandbox", "plan", bad, good)
    assert result.exit_code == 1
    out = result.stdout
    assert "Stack beta (" in out and "Stack alpha (" in out
    assert out.index("Stack beta") < out.index("Stack alpha")  # the order given
    assert "type" in out.split("Stack alpha")[0]  # beta's error in beta's section
    assert "+ line" in out.split("Stack alpha")[1]  # alpha's plan still shown
    assert out.rstrip().splitlines()[-1].startswith("Stacks: 1 planned, 1 with changes, 1 failed (beta).")
    assert "1 of 2 stacks could not be planned (beta)" in result.stderr


def test_json_of_several_stacks_is_one_document_with_a_plan_or_an_error_per_stack(repo):
    good = stack(repo, "alpha", TWO, top='budget: {max_monthly_cost: "250.00"}\n')
    bad = stack(repo, "beta", BROKEN)
    result = run("--sandbox", "plan", good, bad, "-o", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    schema = json.loads(PLANS_SCHEMA_PATH.read_text())
    registry_schema = json.loads(PLAN_SCHEMA_PATH.read_text())
    from referencing import Registry, Resource

    registry = Registry().with_resource(registry_schema["$id"], Resource.from_contents(registry_schema))
    jsonschema.Draft202012Validator(schema, registry=registry).validate(document)
    alpha, beta = document["stacks"]
    assert (alpha["stack"], alpha["error"], beta["stack"], beta["plan"]) == ("alpha", None, "beta", None)
    assert alpha["plan"]["summary"]["purchase"] == 2
    assert alpha["plan"]["stack_monthly_cost"] == {"now": "0.00", "after": "3.00", "budget": "250.00"}
    assert "lokal" in beta["error"]
    assert alpha["account"] == {"api_key_env": "ORBIT_API_KEY", "api_url_env": "ORBIT_API_URL"}
    assert beta["account"] is None  # its manifest could not say
    assert document["summary"]["failed"] == 1 and document["summary"]["purchase"] == 2
    assert document["summary"]["monthly_cost_delta"] == {"USD": "3.00"}


def test_a_single_stacks_json_is_the_plan_document_as_before(repo):
    result = run("--sandbox", "plan", stack(repo, "alpha", ONE), "-o", "json")
    document = json.loads(result.stdout)
    assert "stacks" not in document and document["stack"] == "alpha"
    assert "stack_monthly_cost" not in document  # no budget: the document of orbitctl before budgets


def test_detailed_exitcode_is_2_when_any_stack_changes_0_when_none_and_1_when_one_fails(repo):
    alpha, beta = stack(repo, "alpha", ONE), stack(repo, "beta", ONE)
    assert run("--sandbox", "apply", alpha, "--auto-approve").exit_code == 0
    assert run("--sandbox", "plan", alpha, beta, "--detailed-exitcode").exit_code == 2  # beta changes
    assert run("--sandbox", "apply", beta, "--auto-approve").exit_code == 0
    assert run("--sandbox", "plan", alpha, beta, "--detailed-exitcode").exit_code == 0
    broken = stack(repo, "gamma", BROKEN)
    assert run("--sandbox", "plan", alpha, broken, "--detailed-exitcode").exit_code == 1
    (repo / "alpha" / "numbers.yaml").write_text((repo / "alpha" / "numbers.yaml").read_text() + TWO[len(ONE):])
    assert run("--sandbox", "plan", alpha, broken, "--detailed-exitcode").exit_code == 1  # error beats changes


def test_files_of_two_stacks_given_one_by_one_are_two_stacks_and_a_folder_of_two_is_an_error(repo):
    (repo / "a.yaml").write_text(f"version: 1\nstack: alpha\nnumbers:\n{ONE}")
    (repo / "b.yaml").write_text(f"version: 1\nstack: beta\nnumbers:\n{ONE}")
    result = run("--sandbox", "plan", str(repo / "a.yaml"), str(repo / "b.yaml"))
    assert result.exit_code == 0, result.output
    assert "Stacks: 2 planned, 2 with changes." in result.stdout
    folder = run("--sandbox", "plan", str(repo))
    assert folder.exit_code == 1
    assert "one stack for all manifests loaded together" in folder.stderr


def budgeted(root: Path, name: str, budget: str, numbers: str = TWO) -> str:
    return stack(root, name, numbers, top=f'budget: {{max_monthly_cost: "{budget}"}}\n')


@pytest.mark.parametrize(("budget", "allowed"), [("3.00", True), ("2.99", False)])
def test_a_budget_is_held_at_plan_and_apply_exactly_at_it_allowed_a_cent_over_refused(repo, budget, allowed):
    # two US local numbers at 1.50 each: 3.00 a month
    folder = budgeted(repo, "alpha", budget)
    plan = run("--sandbox", "plan", folder)
    applied = run("--sandbox", "apply", folder, "--auto-approve")
    held = sandbox_numbers(repo / ".orbitctl" / "sandbox.json")
    if allowed:
        assert plan.exit_code == 0 and "stack total 3.00 USD/month of a 3.00 budget" in plan.stdout
        assert applied.exit_code == 0 and len(held) == 2
    else:
        assert plan.exit_code == 1
        figures = ("0.00 USD now to 3.00 USD", f"over budget.max_monthly_cost {budget} USD", "Largest after the plan")
        for text in figures:
            assert text in plan.stderr
        assert applied.exit_code == 1 and "over its budget" in applied.stderr
        assert held == []  # nothing bought


def test_a_stack_over_its_budget_may_come_down_but_not_grow(repo):
    folder = stack(repo, "alpha", TWO)
    assert run("--sandbox", "apply", folder, "--auto-approve").exit_code == 0  # 3.00 a month
    manifest = repo / "alpha" / "numbers.yaml"
    manifest.write_text(f'version: 1\nstack: alpha\nbudget: {{max_monthly_cost: "1.00"}}\nnumbers:\n{ONE}')
    lowered = run("--sandbox", "plan", folder)
    assert lowered.exit_code == 0, lowered.stderr
    assert "stack total 1.50 USD/month, over its 1.00 budget" in lowered.stdout
    manifest.write_text(f'version: 1\nstack: alpha\nbudget: {{max_monthly_cost: "1.00"}}\nnumbers:\n{TWO}'
                        '  third: {country: US, type: local, area_code: "415"}\n')
    grown = run("--sandbox", "plan", folder)
    assert grown.exit_code == 1 and "3.00 USD now to 4.50 USD" in grown.stderr


def test_a_budget_breach_in_one_stack_is_its_error_and_the_others_are_still_planned(repo):
    over = budgeted(repo, "alpha", "1.00")
    fine = budgeted(repo, "beta", "100.00")
    result = run("--sandbox", "plan", over, fine)
    assert result.exit_code == 1
    alpha, beta = result.stdout.split("Stack beta")
    assert "would go over its budget" in alpha
    assert "stack total 3.00 USD/month of a 100.00 budget" in beta


def test_apply_stops_before_the_next_stack_when_one_fails_and_goes_on_with_keep_going(repo):
    over = budgeted(repo, "alpha", "1.00")
    fine = stack(repo, "beta", ONE)
    later = stack(repo, "gamma", ONE)
    account = repo / ".orbitctl" / "sandbox.json"
    stopped = run("--sandbox", "apply", over, fine, later, "--auto-approve")
    assert stopped.exit_code == 1
    assert "Stopped before beta, gamma" in stopped.stderr and "--keep-going" in stopped.stderr
    assert "Stacks: 1 failed (alpha), 2 not started (beta, gamma)." in stopped.stdout
    assert sandbox_numbers(account) == []
    going = run("--sandbox", "apply", over, fine, later, "--auto-approve", "--keep-going")
    assert going.exit_code == 1
    assert "Stacks: 2 applied, 1 failed (alpha)." in going.stdout
    assert stacks_holding(account) == {"beta", "gamma"}


def test_apply_json_of_several_stacks_is_one_document(repo):
    result = run("--sandbox", "apply", stack(repo, "alpha", ONE), stack(repo, "beta", ONE), "--auto-approve",
                 "-o", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [(entry["stack"], entry["status"]) for entry in document["stacks"]] == [("alpha", "applied"),
                                                                                   ("beta", "applied")]
    assert document["stacks"][0]["result"]["stack"] == "alpha"


def test_plan_out_of_several_stacks_is_one_file_that_show_prints_and_apply_carries_out(repo):
    alpha, beta = stack(repo, "alpha", ONE), stack(repo, "beta", TWO)
    saved = repo / "plans.json"
    assert run("--sandbox", "plan", alpha, beta, "--out", str(saved)).exit_code == 0
    shown = run("show", str(saved))
    assert shown.exit_code == 0 and "Stack alpha" in shown.stdout and "Stack beta" in shown.stdout
    applied = run("--sandbox", "apply", str(saved), "--auto-approve")
    assert applied.exit_code == 0, applied.stderr
    assert len(sandbox_numbers(repo / ".orbitctl" / "sandbox.json")) == 3
    again = run("--sandbox", "apply", str(saved), "--auto-approve")
    assert again.exit_code == 1  # the saved plan is stale now: nothing bought twice
    assert len(sandbox_numbers(repo / ".orbitctl" / "sandbox.json")) == 3


def test_plan_out_is_not_written_when_a_stack_fails(repo):
    saved = repo / "plans.json"
    result = run("--sandbox", "plan", stack(repo, "alpha", ONE), stack(repo, "beta", BROKEN), "--out", str(saved))
    assert result.exit_code == 1 and not saved.exists()
    assert "not saved" in result.stderr


STAGING = "account: {api_key_env: ORBIT_API_KEY_STAGING, api_url_env: ORBIT_API_URL_STAGING}\n"


def test_sandbox_gives_each_account_an_emulated_account_of_its_own(repo):
    prod = stack(repo, "prod", ONE)
    staging = stack(repo, "staging", ONE, top=STAGING)
    result = run("--sandbox", "apply", prod, staging, "--auto-approve")
    assert result.exit_code == 0, result.stderr
    state = repo / ".orbitctl"
    assert stacks_holding(state / "sandbox.json") == {"prod"}
    assert stacks_holding(state / "sandbox-orbit_api_key_staging-orbit_api_url_staging.json") == {"staging"}
    assert run("--sandbox", "plan", prod, staging, "--detailed-exitcode").exit_code == 0


def test_two_stacks_on_two_accounts_each_see_only_their_own(repo, sandbox_server, orbit_env, monkeypatch):
    production, other = sandbox_server(), sandbox_server()
    orbit_env(production.url)
    monkeypatch.setenv("ORBIT_API_KEY_STAGING", STAGING_KEY)
    monkeypatch.setenv("ORBIT_API_URL_STAGING", other.url)
    prod = stack(repo, "prod", ONE)
    staging = stack(repo, "staging", TWO, top=STAGING)
    result = run("apply", prod, staging, "--auto-approve")
    assert result.exit_code == 0, result.stderr
    assert stacks_holding(production.state_path) == {"prod"}
    assert stacks_holding(other.state_path) == {"staging"}
    # staging's plan counts none of prod's numbers: they are on another account
    planned = run("plan", prod, staging, "-o", "json")
    drift = {entry["stack"]: entry["plan"]["drift"] for entry in json.loads(planned.stdout)["stacks"]}
    assert drift["staging"]["foreign"] == 0 and drift["staging"]["managed"] == 2
    assert drift["prod"]["foreign"] == 0 and drift["prod"]["managed"] == 1
    for text in (result.output, planned.output):
        assert STAGING_KEY not in text and TEST_API_KEY not in text


def test_an_account_whose_key_variable_is_unset_is_that_stacks_error_at_its_line(repo, sandbox_server, orbit_env):
    orbit_env(sandbox_server().url)
    prod = stack(repo, "prod", ONE)
    staging = stack(repo, "staging", ONE, top=STAGING)
    result = run("plan", prod, staging)
    assert result.exit_code == 1
    section = result.stdout.split("Stack staging")[1]
    assert "numbers.yaml:3" in section and "ORBIT_API_KEY_STAGING is not set" in section
    assert "+ line" in result.stdout.split("Stack staging")[0]  # prod still planned
    # validate needs no key
    assert run("validate", prod, staging).exit_code == 0


def test_no_stack_may_substitute_the_key_variable_another_stack_names(repo, monkeypatch):
    monkeypatch.setenv("ORBIT_API_KEY_STAGING", STAGING_KEY)
    staging = stack(repo, "staging", ONE, top=STAGING)
    leaky = stack(repo, "leaky", "  line: {country: US, label: \"${ORBIT_API_KEY_STAGING}\"}\n")
    result = run("--sandbox", "plan", staging, leaky)
    assert result.exit_code == 1
    assert "ORBIT_API_KEY_STAGING" in result.stdout.split("Stack leaky")[1]
    assert STAGING_KEY not in result.output


def test_the_examples_tree_plans_applies_and_converges_on_the_sandbox(repo):
    shutil.copytree(ROOT / "examples" / "stacks", repo / "stacks")
    folders = sorted(str(path) for path in (repo / "stacks").iterdir() if path.is_dir())
    assert len(folders) == 3
    plan = run("--sandbox", "plan", *folders, "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    applied = run("--sandbox", "apply", *folders, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Stacks: 3 applied." in applied.stdout
    assert run("--sandbox", "plan", *folders, "--detailed-exitcode").exit_code == 0
    state = repo / ".orbitctl"
    assert stacks_holding(state / "sandbox.json") == {"prod-us", "prod-eu"}
    assert stacks_holding(state / "sandbox-orbit_api_key_staging-orbit_api_url_staging.json") == {"staging"}


def test_ownership_tags_of_a_stack_are_those_of_a_single_stack_run(repo):
    run("--sandbox", "apply", stack(repo, "alpha", ONE), stack(repo, "beta", ONE), "--auto-approve")
    tags = {tag for number in sandbox_numbers(repo / ".orbitctl" / "sandbox.json") for tag in number["tags"]}
    assert {ownership_tag("alpha", "line"), ownership_tag("beta", "line")} <= tags


def test_the_stacks_page_runs_as_written_on_a_copy_of_the_examples(repo, monkeypatch):
    import glob
    import shlex

    from click.testing import CliRunner

    from orbitctl.cli import cli
    from tests.cli.test_docs import DOCS, assert_output_is_shown, steps

    shutil.copytree(ROOT / "examples" / "stacks", repo / "examples" / "stacks")
    monkeypatch.setenv("NO_COLOR", "1")
    ran, last_exit = 0, None
    for step in steps((DOCS / "stacks.md").read_text(encoding="utf-8")):
        _, command, expected = step
        if command == "echo $?":
            assert expected == [str(last_exit)]
            continue
        words = [found for word in shlex.split(command) for found in (sorted(glob.glob(word)) or [word])]
        assert words[0] == "orbitctl", command
        result = CliRunner().invoke(cli, words[1:], prog_name="orbitctl", catch_exceptions=False)
        last_exit, ran = result.exit_code, ran + 1
        assert_output_is_shown(expected, result.output, command)
    assert ran == 4


def test_a_file_naming_no_stack_belongs_to_the_one_stack_named_as_it_always_did(repo):
    (repo / "a.yaml").write_text(f"version: 1\nstack: alpha\nnumbers:\n{ONE}")
    (repo / "b.yaml").write_text("numbers: [unclosed\n")
    result = run("--sandbox", "plan", str(repo / "a.yaml"), str(repo / "b.yaml"))
    assert result.exit_code == 1
    assert "Stack " not in result.stdout and result.stdout == ""  # one stack's error, as before
    assert "b.yaml" in result.stderr


def test_apply_of_several_stacks_changes_nothing_while_a_file_names_no_stack(repo):
    # b.yaml may hold alpha's other entries: applying alpha without them could release their numbers
    (repo / "a.yaml").write_text(f"version: 1\nstack: alpha\nnumbers:\n{ONE}")
    (repo / "c.yaml").write_text(f"version: 1\nstack: gamma\nnumbers:\n{ONE}")
    (repo / "b.yaml").write_text("numbers: [unclosed\n")
    result = run("--sandbox", "apply", *(str(repo / name) for name in ("a.yaml", "c.yaml", "b.yaml")),
                 "--auto-approve", "--keep-going")
    assert result.exit_code == 1
    assert "cannot tell which stack" in result.stderr and "nothing was changed" in result.stderr
    assert sandbox_numbers(repo / ".orbitctl" / "sandbox.json") == []


def test_no_stack_may_substitute_a_variable_holding_another_stacks_key(repo, monkeypatch):
    monkeypatch.setenv("ORBIT_API_KEY_STAGING", STAGING_KEY)
    monkeypatch.setenv("HOOK_URL", f"https://hooks.example.com/?k={STAGING_KEY}")
    staging = stack(repo, "staging", ONE, top=STAGING)
    leaky = stack(repo, "leaky", "  line: {country: US, webhook_url: \"${HOOK_URL}\"}\n")
    result = run("--sandbox", "plan", leaky, staging)
    assert result.exit_code == 1
    assert "HOOK_URL" in result.stdout.split("Stack staging")[0]
    assert "+ line" in result.stdout.split("Stack staging")[1]
    assert STAGING_KEY not in result.output


def test_markdown_of_several_stacks_has_a_section_each_and_the_summary_last(repo):
    result = run("--sandbox", "plan", budgeted(repo, "alpha", "9.00"), stack(repo, "beta", BROKEN), "-o", "markdown")
    assert result.exit_code == 1
    out = result.stdout.replace("\\", "")  # markdown's escapes aside
    assert "<!-- orbitctl-plan:stack=alpha -->" in out and "<!-- orbitctl-plan:stack=beta -->" in out
    assert "stack total 3.00 USD/month of a 9.00 budget" in out
    assert "[!CAUTION]" in out.split("orbitctl-plan:stack=beta")[1]
    assert out.rstrip().splitlines()[-1].startswith("**Stacks: 1 planned, 1 with changes, 1 failed (beta)")


def test_the_journal_tells_two_accounts_behind_one_url_apart(monkeypatch):
    from orbitctl.apply.journal import account_of
    from orbitctl.cli.context import CliContext
    from orbitctl.model import DEFAULT_ACCOUNT, AccountRef

    monkeypatch.setenv("ORBIT_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("ORBIT_API_KEY_STAGING", STAGING_KEY)
    context = CliContext()
    staging_account = AccountRef("ORBIT_API_KEY_STAGING")
    with context.make_client(DEFAULT_ACCOUNT) as prod, context.make_client(staging_account) as staging:
        assert prod.base_url == staging.base_url
        assert account_of(prod) == prod.base_url  # the default account's entries stay as they were
        assert account_of(staging) == f"{staging.base_url}#ORBIT_API_KEY_STAGING"


def test_an_action_that_fails_stops_the_run_before_the_next_stack(repo, sandbox_server, orbit_env, monkeypatch):
    from orbitctl.account.retry import RetryPolicy

    # every PUT fails, its retries spent at once: alpha's purchase cannot be configured
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, retry, retry_after=None, uniform=None: 0.0)
    server = sandbox_server(fail_configure=1000)
    orbit_env(server.url)
    alpha = stack(repo, "alpha", '  line: {country: US, area_code: "415", label: "Alpha"}\n')
    beta = stack(repo, "beta", ONE)
    result = run("apply", alpha, beta, "--auto-approve")
    assert result.exit_code == 1
    assert "FAILED" in result.stdout and "Stack beta" not in result.stdout  # beta never started
    assert "Stopped before beta" in result.stderr
    assert "beta" not in stacks_holding(server.state_path)
