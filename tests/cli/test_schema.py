"""`orbitctl schema` prints the packaged schemas, and `export` makes its schema comment resolve
for an installed orbitctl (no checkout of orbitctl's repository at hand)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from orbitctl.manifest.schema import SCHEMA_PATH
from tests.helpers import run

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_LINE = "# yaml-language-server: $schema="


def test_schema_prints_the_manifest_schema_the_loader_checks_with():
    result = run("schema")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SCHEMA_PATH.read_text(encoding="utf-8")
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    example = yaml.safe_load((ROOT / "examples" / "numbers.yaml").read_text())
    jsonschema.Draft202012Validator(schema).validate(example)


def test_schema_plan_prints_the_schema_of_plan_output_json():
    result = run("schema", "plan")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


def test_schema_out_writes_the_file_and_says_so(tmp_path):
    result = run("schema", "--out", "schemas/manifest.schema.json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert (tmp_path / "schemas" / "manifest.schema.json").read_text() == SCHEMA_PATH.read_text()
    assert "Wrote the manifest schema" in result.stderr


def test_an_unknown_kind_names_the_kinds():
    result = run("schema", "manifests")
    assert result.exit_code == 1
    assert "'manifest', 'plan'" in result.stderr


def _schema_ref(manifest: Path) -> Path:
    first = manifest.read_text().splitlines()[0]
    assert first.startswith(SCHEMA_LINE)
    return manifest.parent / first[len(SCHEMA_LINE):]


def test_export_out_writes_the_schema_its_comment_points_at(tmp_path):
    result = run("--sandbox", "export", "--stack", "prod", "--out", "stacks/prod.yaml")
    assert result.exit_code == 0, result.stderr
    target = _schema_ref(tmp_path / "stacks" / "prod.yaml")
    assert target.resolve() == (tmp_path / "schemas" / "manifest.schema.json").resolve()
    assert target.read_text() == SCHEMA_PATH.read_text()
    assert "Wrote this orbitctl's manifest schema to schemas/manifest.schema.json" in result.stderr
    again = run("--sandbox", "export", "--stack", "prod", "--out", "numbers.yaml")
    assert _schema_ref(tmp_path / "numbers.yaml").read_text() == SCHEMA_PATH.read_text()
    assert "schema" not in again.stderr  # up to date: nothing to say


def test_export_never_overwrites_a_schema_file_and_warns_when_it_is_stale(tmp_path):
    (tmp_path / "schemas").mkdir()
    stale = tmp_path / "schemas" / "manifest.schema.json"
    stale.write_text('{"title": "older"}')
    result = run("--sandbox", "export", "--stack", "prod", "--out", "numbers.yaml")
    assert result.exit_code == 0, result.stderr
    assert stale.read_text() == '{"title": "older"}'
    assert "refresh it with: orbitctl schema --out schemas/manifest.schema.json" in result.stderr


def test_export_to_stdout_writes_no_file_but_says_how(tmp_path):
    result = run("--sandbox", "export", "--stack", "prod")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{SCHEMA_LINE}schemas/manifest.schema.json\n")
    assert not (tmp_path / "schemas").exists()
    assert "write it with: orbitctl schema --out schemas/manifest.schema.json" in result.stderr


def test_export_with_a_schema_of_its_own_writes_nothing(tmp_path):
    result = run("--sandbox", "export", "--stack", "prod", "--out", "n.yaml", "--schema", "https://example.com/m.json")
    assert result.exit_code == 0, result.stderr
    assert not (tmp_path / "schemas").exists()
    assert "schema" not in result.stderr
