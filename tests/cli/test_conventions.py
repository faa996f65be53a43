"""Conventions every command keeps: --help names the environment and shows an example that
uses only options the command has; --color, NO_COLOR and FORCE_COLOR."""

from __future__ import annotations

import shlex
import warnings

import click
import pytest

from orbitctl.cli import cli
from tests.helpers import run, write_manifest

ESC = "\x1b["


def all_commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from all_commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_help_names_the_environment_variables():
    result = run("--help")
    assert result.exit_code == 0
    for name in ("ORBIT_API_KEY", "ORBIT_API_URL", "ORBITCTL_STATE_DIR", "NO_COLOR", "FORCE_COLOR", "--color"):
        assert name in result.stdout, name


def parses(words: list[str]) -> click.Context:
    """Parse ``orbitctl WORDS...`` as click would run it, down to the last subcommand, without
    running anything; a usage error (unknown option, bad choice, missing argument) raises."""
    ctx = cli.make_context("orbitctl", list(words))
    command: click.Command = cli
    while isinstance(command, click.Group):
        with warnings.catch_warnings():  # click 8.2+ deprecates protected_args; 9 folds it into args
            warnings.simplefilter("ignore", DeprecationWarning)
            remaining = [*ctx.protected_args, *ctx.args]
        if not remaining:
            break
        name, command, rest = command.resolve_command(ctx, remaining)
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx


@pytest.mark.parametrize(
    "words",
    [["plan", "--bogus", "m.yaml"], ["--color", "some", "plan", "m.yaml"], ["port", "status"], ["lst"],
     ["schema", "manifests"]],
)
def test_the_example_check_refuses_what_orbitctl_would(words):
    with pytest.raises((click.UsageError, click.exceptions.Exit)):  # orbitctl's group exits 1 itself
        parses(words)
    assert parses(["--sandbox", "port", "+14155551234", "--carrier", "A", "--authorization-name", "B"])


@pytest.mark.parametrize(
    ("path", "command"), list(all_commands()), ids=[" ".join(path) or "orbitctl" for path, _ in all_commands()]
)
def test_every_command_shows_an_example_that_parses(path, command):
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout, f"orbitctl {' '.join(path)} --help shows no example"
    examples = result.stdout.split("Example:", 1)[1].strip().splitlines()
    lines = [line.strip().rstrip("&").strip() for line in examples if "orbitctl " in line]
    assert lines, path
    for line in lines:
        words = shlex.split(line.split("orbitctl ", 1)[1])
        try:
            parses(words)
        except (click.UsageError, click.exceptions.Exit) as problem:
            pytest.fail(f"orbitctl {' '.join(path)} --help: the example {line!r} does not parse: {problem}")


@pytest.fixture
def manifest(tmp_path):
    return write_manifest(tmp_path / "numbers.yaml", "  a:\n    country: US\n    label: A\n")


def _plan(*flags: str, manifest) -> str:
    result = run(*flags, "--sandbox", "plan", str(manifest))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_not_a_terminal_means_no_colour(manifest):
    assert ESC not in _plan(manifest=manifest)


def test_color_always_colours_even_into_a_pipe_and_never_wins_over_force_color(manifest, monkeypatch):
    assert ESC in _plan("--color", "always", manifest=manifest)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ESC in _plan(manifest=manifest)
    assert ESC not in _plan("--color", "never", manifest=manifest)


def test_no_color_wins_over_force_color_and_loses_to_color_always(manifest, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ESC not in _plan(manifest=manifest)
    assert ESC in _plan("--color", "always", manifest=manifest)


def test_color_reaches_apply_and_show_and_never_json(manifest, tmp_path):
    applied = run("--color", "always", "--sandbox", "apply", str(manifest), "--auto-approve")
    assert applied.exit_code == 0 and ESC in applied.stdout
    write_manifest(manifest, "  a:\n    country: US\n    label: B\n")
    assert run("--sandbox", "plan", str(manifest), "--out", "p.json").exit_code == 0
    assert ESC in run("--color", "always", "show", "p.json").stdout
    assert ESC not in run("--color", "always", "show", "p.json", "-o", "json").stdout
    assert ESC not in run("--color", "always", "show", "p.json", "-o", "markdown").stdout


def test_a_bad_color_value_names_the_choices():
    result = run("--color", "sometimes", "validate", "x.yaml")
    assert result.exit_code == 1
    assert "'auto', 'always', 'never'" in result.stderr


def test_color_after_the_command_says_where_it_goes(manifest):
    result = run("plan", "--color", "always", str(manifest))
    assert result.exit_code == 1
    assert "--color is an option of orbitctl itself: put it before the command" in result.stderr


@pytest.mark.parametrize(
    ("line", "offered"),
    [("orbitctl port ", ["plain,forget", "plain,status", "plain,submit"]),
     ("orbitctl --color ", ["plain,auto", "plain,always", "plain,never"])],
)
def test_completion_offers_the_port_subcommands_and_the_color_modes(line, offered):
    import subprocess
    import sys
    from pathlib import Path

    env = {"_ORBITCTL_COMPLETE": "bash_complete", "COMP_WORDS": line, "COMP_CWORD": str(len(line.split()))}
    done = subprocess.run([str(Path(sys.executable).parent / "orbitctl")], env=env, capture_output=True, text=True,
                          timeout=30)
    assert done.stdout.split() == offered
