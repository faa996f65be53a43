"""The command line's shared behaviour: version, help, and exit 1 for every usage error."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from orbitctl import __version__
from orbitctl.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args))


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
