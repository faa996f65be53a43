"""One apply at a time from a checkout."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from orbitctl.apply.lock import LOCK_FILENAME, apply_lock
from orbitctl.cli import cli
from orbitctl.errors import OrbitctlError


def test_a_second_holder_is_refused_at_once_and_the_lock_is_free_after(tmp_path):
    with (
        apply_lock(tmp_path),
        pytest.raises(OrbitctlError, match="another 'orbitctl apply' is running"),
        apply_lock(tmp_path),
    ):
        pass  # pragma: no cover - never reached
    with apply_lock(tmp_path):  # released: taken again
        assert (tmp_path / LOCK_FILENAME).exists()


def test_apply_while_another_apply_runs_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text("version: 1\nstack: prod\nnumbers:\n  a:\n    country: US\n")
    with apply_lock(tmp_path / ".orbitctl"):
        result = CliRunner().invoke(cli, ["--sandbox", "apply", "m.yaml", "--auto-approve"])
    assert result.exit_code == 1
    assert "another 'orbitctl apply' is running from this checkout" in result.stderr
    follow_up = CliRunner().invoke(cli, ["--sandbox", "plan", "m.yaml", "--detailed-exitcode"])
    assert follow_up.exit_code == 2, follow_up.stderr  # still one to purchase: nothing was bought
