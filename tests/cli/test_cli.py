"""The command line's shared behaviour: version, help, and exit 1 for every usage error."""

from __future__ import annotations

import pytest

from orbitctl import __version__
from tests.helpers import run


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["--bogus"],
        ["plan", "--output", "xml", "m.yaml"],
        ["plan", "--parallelism", "0", "m.yaml"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_1_not_2(args):
    """2 is reserved for `plan --detailed-exitcode` with changes."""
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert "Error:" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_damaged_sandbox_state_file_is_a_local_error_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text("version: 1\nstack: prod\nnumbers:\n  a:\n    country: US\n")
    (tmp_path / "state.json").write_text("{")
    result = run("--sandbox", "--sandbox-state", "state.json", "plan", "m.yaml")
    assert result.exit_code == 1
    assert "cannot read sandbox state state.json" in result.stderr
    assert "delete state.json" in result.stderr
    assert "Orbit had a server error" not in result.stderr


def test_a_sandbox_state_below_a_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text("version: 1\nstack: prod\nnumbers:\n  a:\n    country: US\n")
    result = run("--sandbox", "--sandbox-state", "m.yaml/state.json", "plan", "m.yaml")
    assert result.exit_code == 1
    assert "cannot make the folder for the state file m.yaml/state.json" in result.stderr


def test_a_saved_plan_with_leading_whitespace_is_still_a_plan(tmp_path):
    from orbitctl.cli.apply import is_plan_file
    from orbitctl.planfile import FILE_KIND

    saved = tmp_path / "p.json"
    saved.write_text(f'\n  {{"kind": "{FILE_KIND}"}}')
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nstack: prod\n")
    assert is_plan_file(str(saved))
    assert not is_plan_file(str(manifest))


@pytest.mark.parametrize("flag", ["--sandbox", "--sandbox-state"])
def test_a_global_option_after_the_command_says_where_it_goes(flag):
    result = run("plan", flag, "m.yaml")
    assert result.exit_code == 1
    assert f"put it before the command, as in 'orbitctl {flag} plan numbers.yaml'" in result.stderr
