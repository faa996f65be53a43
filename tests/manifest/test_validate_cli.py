"""`orbitctl validate MANIFEST... [--output text|json]`: exit 0 valid, 1 invalid, no API call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run as cli_run
from tests.manifest.test_manifest_bad import FIXTURES, expectation

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "numbers.yaml"


def run(*args: str):
    return cli_run("validate", *args)


def test_the_example_is_valid():
    result = run(str(EXAMPLE))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "Valid: stack prod, 6 entries (10 numbers).\n"


def test_the_example_is_valid_as_json():
    result = run(str(EXAMPLE), "--output", "json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: path.stem)
def test_every_bad_fixture_exits_1_naming_its_line_and_key(fixture):
    line, path, _ = expectation(fixture)
    result = run(str(fixture))
    assert result.exit_code == 1
    first, summary = result.stderr.splitlines()
    assert first.startswith(f"{fixture}:{line}:")
    if path:
        assert f": {path}: " in first
    assert summary == "Error: 1 problem in the manifests."
    assert "Traceback" not in result.output and result.stdout == ""


def test_json_output_lists_every_problem(tmp_path):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nstack: s\nnumbers:\n  a:\n    country: ZZ\n    type: fast\n")
    result = run(str(manifest), "-o", "json")
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert [(p["line"], p["path"]) for p in problems] == [(5, "numbers.a.country"), (6, "numbers.a.type")]
    assert all(set(p) == {"file", "line", "column", "path", "message", "suggestion"} for p in problems)
    assert problems[1]["file"] == str(manifest) and problems[1]["column"] == 11
    assert "(allowed: local, toll_free, mobile, short_code)" in problems[1]["message"]


def test_text_output_counts_problems(tmp_path):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 2\nstack: S\n")
    result = run(str(manifest))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "Error: 2 problems in the manifests."


def test_folder_and_several_files(tmp_path):
    (tmp_path / "a.yaml").write_text("version: 1\nstack: s\nnumbers:\n  a: {country: US, count: 3}\n")
    (tmp_path / "b.yml").write_text("version: 1\nstack: s\nnumbers:\n  b: {country: GB}\n")
    result = run(str(tmp_path))
    assert (result.exit_code, result.stdout) == (0, "Valid: stack s, 2 entries (4 numbers).\n")


@pytest.mark.parametrize("make", ["missing", "empty-folder"])
def test_nothing_to_read_is_an_error_not_a_traceback(tmp_path, make):
    target = tmp_path / "nothing.yaml" if make == "missing" else tmp_path
    result = run(str(target))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{target}:1:1: ")


def test_no_network_is_needed(tmp_path, monkeypatch):
    """validate never builds a client: an unreachable API changes nothing."""
    monkeypatch.setenv("ORBIT_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ORBIT_API_KEY", "dv_test_sk_unused")
    assert run(str(EXAMPLE)).exit_code == 0


def test_json_output_carries_the_suggestion(tmp_path):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nstack: s\nnumbers:\n  a:\n    country: us\n    labl: x\n    status: off\n")
    result = run(str(manifest), "-o", "json")
    problems = {p["path"]: p for p in json.loads(result.stdout)}
    assert {path: p["suggestion"] for path, p in problems.items()} == {
        "numbers.a.country": "US", "numbers.a.labl": "label", "numbers.a.status": None,
    }
    assert "unknown key 'labl', did you mean 'label'? (allowed: " in problems["numbers.a.labl"]["message"]


@pytest.mark.parametrize("args", [["--help"], ["validate", str(EXAMPLE)]], ids=["help", "validate"])
def test_start_up_imports_nothing_heavy(args):
    """jsonschema is imported only to word the errors of a manifest that has some; httpx, rich and
    deepdiff only by the commands that talk to the API or show a plan."""
    import subprocess
    import sys

    probe = ("import runpy, sys\n"
             f"sys.argv = ['orbitctl', *{args!r}]\n"
             "try:\n    runpy.run_module('orbitctl', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "imported = {name.split('.')[0] for name, module in sys.modules.items() if module is not None}\n"
             "print(sorted(imported & {'jsonschema', 'httpx', 'rich', 'deepdiff'}),"
             " file=sys.stderr)\n")
    finished = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert finished.stderr.strip().splitlines()[-1] == "[]", finished.stderr
