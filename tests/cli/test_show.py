"""`orbitctl show PLANFILE` prints a saved plan exactly as `plan` printed it, offline."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run, write_manifest

NUMBERS = """\
  support-main:
    country: US
    area_code: "415"
    label: Main Support Line
  sms-pool:
    country: US
    count: 2
"""


@pytest.fixture
def saved_plan(tmp_path, monkeypatch):
    """A plan saved from the embedded sandbox, and what `plan` printed in each format."""
    monkeypatch.setenv("NO_COLOR", "1")
    manifest = write_manifest(tmp_path / "numbers.yaml", NUMBERS)
    printed = {}
    for output in ("text", "json", "markdown"):
        result = run("--sandbox", "plan", str(manifest), "--output", output, "--out", "plan.json")
        assert result.exit_code == 0, result.stderr
        printed[output] = result.stdout
    return tmp_path / "plan.json", printed


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_show_prints_what_plan_printed_without_any_account(saved_plan, output):
    path, printed = saved_plan
    # no --sandbox and no ORBIT_API_KEY: a call to the API would fail
    result = run("show", str(path), "--output", output)
    assert result.exit_code == 0, result.stderr
    if output == "json":
        assert json.loads(result.stdout) == json.loads(printed["json"])
    else:
        assert result.stdout == printed[output]
    assert f"Saved plan of stack prod, made from {path.parent / 'numbers.yaml'}" in result.stderr
    assert f"orbitctl apply {path}" in result.stderr


def test_show_detailed_prints_what_plan_detailed_printed(saved_plan, tmp_path):
    path, _ = saved_plan
    planned = run("--sandbox", "plan", str(tmp_path / "numbers.yaml"), "--detailed")
    shown = run("show", str(path), "--detailed")
    assert shown.exit_code == 0, shown.stderr
    assert shown.stdout == planned.stdout
    assert "sms-pool" in shown.stdout


def test_show_defaults_to_text(saved_plan):
    path, printed = saved_plan
    result = run("show", str(path))
    assert result.stdout == printed["text"]
    assert "Plan: 3 to purchase, 0 to update, 0 to release" in result.stdout


def test_a_manifest_given_to_show_says_to_plan_it(tmp_path):
    manifest = write_manifest(tmp_path / "numbers.yaml", NUMBERS)
    result = run("show", str(manifest))
    assert result.exit_code == 1
    assert f"{manifest} is a manifest, not a saved plan: 'orbitctl plan {manifest}'" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{", "is not valid JSON"),
        ('{"kind": "something"}', "is not a saved orbitctl plan"),
    ],
)
def test_a_missing_or_bad_plan_file_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    result = run("show", str(path))
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_an_edited_plan_is_refused(saved_plan):
    path, _ = saved_plan
    path.write_text(path.read_text().replace('"prod"', '"prud"', 1))
    result = run("show", str(path))
    assert result.exit_code == 1
    assert "changed after it was saved" in result.stderr


def test_plan_given_a_saved_plan_points_at_show(saved_plan):
    path, _ = saved_plan
    result = run("--sandbox", "plan", str(path))
    assert result.exit_code == 1
    assert "show a saved plan with 'orbitctl show FILE'" in result.stderr
