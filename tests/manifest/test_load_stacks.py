"""load_stacks: the stacks of a run's folders and files, each loaded apart; account: and budget:
once a stack; every account's key variable a variable no manifest of the run may substitute."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orbitctl.manifest import ManifestError, load_manifests, load_stacks
from orbitctl.model import DEFAULT_ACCOUNT, AccountRef

LINE = "numbers:\n  line: {country: US}\n"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_each_folder_and_each_files_stack_is_a_stack_in_the_order_given(tmp_path):
    write(tmp_path / "a" / "n.yaml", f"version: 1\nstack: alpha\n{LINE}")
    write(tmp_path / "a" / "more.yaml", "version: 1\nstack: alpha\nnumbers:\n  more: {country: US}\n")
    b = write(tmp_path / "b.yaml", f"version: 1\nstack: beta\n{LINE}")
    c = write(tmp_path / "c.yaml", "version: 1\nstack: alpha\nnumbers:\n  third: {country: US}\n")
    stacks = load_stacks([str(tmp_path / "a"), b, c])
    assert [stack.name for stack in stacks] == ["alpha", "beta"]
    assert stacks[0].paths == (str(tmp_path / "a"), c)
    assert set(stacks[0].desired.entries) == {"line", "more", "third"}


def test_a_stacks_problems_do_not_stop_the_others(tmp_path):
    good = write(tmp_path / "good.yaml", f"version: 1\nstack: alpha\n{LINE}")
    bad = write(tmp_path / "bad.yaml", "version: 1\nstack: beta\nnumbers:\n  line: {country: XX}\n")
    alpha, beta = load_stacks([good, bad])
    assert alpha.desired is not None and alpha.error is None
    assert beta.desired is None and beta.error.problems[0].file == bad


def test_account_and_budget_are_read_and_stated_once_a_stack(tmp_path):
    write(tmp_path / "s" / "a.yaml", "version: 1\nstack: alpha\naccount: {api_key_env: KEY_B}\n"
                'budget: {max_monthly_cost: "12.50"}\n' + LINE)
    (stack,) = load_stacks([str(tmp_path / "s")])
    assert stack.desired.account == AccountRef("KEY_B", DEFAULT_ACCOUNT.api_url_env)
    assert stack.desired.budget.max_monthly_cost == Decimal("12.50")
    write(tmp_path / "s" / "b.yaml", 'version: 1\nstack: alpha\nbudget: {max_monthly_cost: "1.00"}\n'
          "account: {api_key_env: KEY_C}\nnumbers:\n  other: {country: US}\n")
    with pytest.raises(ManifestError) as caught:
        load_manifests([str(tmp_path / "s")])
    messages = [problem.message for problem in caught.value.problems]
    assert any("budget is also stated at" in message for message in messages)
    assert any("account is also stated at" in message for message in messages)


def test_every_accounts_key_variable_is_kept_out_of_every_stack(tmp_path):
    staging = write(tmp_path / "staging.yaml", f"version: 1\nstack: staging\naccount: {{api_key_env: KEY_B}}\n{LINE}")
    leak = 'numbers:\n  line: {country: US, label: "${KEY_B}"}\n'
    prod = write(tmp_path / "prod.yaml", f"version: 1\nstack: prod\n{leak}")
    environ = {"KEY_B": "dv_test_sk_staging_0000000001"}
    _, leaky = load_stacks([staging, prod], environ)
    assert leaky.error is not None and "KEY_B" in str(leaky.error)
    assert "dv_test_sk_staging_0000000001" not in str(leaky.error)
    assert load_stacks([prod], environ)[0].error is None  # alone, KEY_B is no account's key


def test_the_key_variable_must_be_set_only_when_credentials_are_needed(tmp_path):
    staging = write(tmp_path / "staging.yaml", f"version: 1\nstack: staging\naccount: {{api_key_env: KEY_B}}\n{LINE}")
    assert load_stacks([staging], {})[0].error is None
    (needed,) = load_stacks([staging], {}, require_credentials=True)
    (problem,) = needed.error.problems
    assert (problem.line, problem.path) == (3, "account.api_key_env")
    assert "KEY_B is not set" in problem.message
    assert load_stacks([staging], {"KEY_B": "dv_test_sk_x_0000000001"}, require_credentials=True)[0].error is None


def test_a_stack_named_twice_through_a_variable_is_refused(tmp_path):
    a = write(tmp_path / "a.yaml", f"version: 1\nstack: alpha\n{LINE}")
    b = write(tmp_path / "b.yaml", f"version: 1\nstack: ${{NAME}}\n{LINE}")
    first, second = load_stacks([a, b], {"NAME": "alpha"})
    assert first.error is None and "also given as" in str(second.error)
