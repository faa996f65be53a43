"""schemas/manifest.schema.json: valid 2020-12, usable alone (as editors use it), and in step with
the model's constants."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from orbitctl.manifest.schema import SCHEMA_PATH, manifest_schema
from orbitctl.model import (
    CAPABILITIES,
    CONFIG_KEYS,
    CONFIGURE_CAPABILITIES,
    MAX_USER_TAGS,
    NUMBER_TYPES,
    SELECTION_KEYS,
    PortIn,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "numbers.yaml"
DEFS = manifest_schema()["$defs"]


def test_the_runtime_schema_is_the_repository_schema():
    assert SCHEMA_PATH.resolve() == (ROOT / "schemas" / "manifest.schema.json").resolve()


def test_schema_is_valid_json_schema_2020_12():
    Draft202012Validator.check_schema(manifest_schema())
    assert manifest_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_example_points_editors_at_the_schema_and_passes_it_alone():
    text = EXAMPLE.read_text()
    match = re.search(r"# yaml-language-server: \$schema=(\S+)", text)
    assert match and (EXAMPLE.parent / match.group(1)).resolve() == SCHEMA_PATH.resolve()
    errors = list(Draft202012Validator(manifest_schema()).iter_errors(yaml.safe_load(text)))
    assert errors == []


def test_plain_jsonschema_rejects_unknown_keys_everywhere():
    validator = Draft202012Validator(manifest_schema())
    for document in (
        {"version": 1, "stack": "s", "extra": 1},
        {"version": 1, "stack": "s", "defaults": {"count": 2}},
        {"version": 1, "stack": "s", "numbers": {"a": {"colour": "red"}}},
        {"version": 1, "stack": "s", "numbers": {"a": {"lifecycle": {"prevent_destroy": True}}}},
    ):
        assert not validator.is_valid(document), document


def test_schema_keys_follow_the_model():
    entry = set(DEFS["entry"]["properties"])
    assert entry == set(SELECTION_KEYS) | set(CONFIG_KEYS) | {"count", "lifecycle", "port_in"}
    assert set(DEFS["defaults"]["properties"]) == entry - {"number", "count", "port_in"}
    # port_in's keys are PortIn's fields (the PIN as the name of its variable)
    assert [key if key != "pin" else "pin_env" for key in DEFS["port_in"]["properties"]] == [
        field.name for field in dataclasses.fields(PortIn)
    ]
    assert DEFS["lifecycle"]["properties"]["ignore_changes"]["items"]["enum"] == list(CONFIG_KEYS)
    assert DEFS["type"]["enum"] == list(NUMBER_TYPES)
    assert DEFS["tags"]["maxItems"] == MAX_USER_TAGS
    assert DEFS["capabilities"]["items"]["enum"] == list(CAPABILITIES)
    assert DEFS["capabilities"]["contains"]["enum"] == list(CONFIGURE_CAPABILITIES)


def test_every_part_says_what_is_allowed():
    """Error messages take their '(allowed: ...)' from the failing part's description."""

    def subschemas(schema: dict):
        yield schema
        for keyword in ("properties", "$defs", "dependentSchemas"):
            for child in schema.get(keyword, {}).values():
                yield from subschemas(child)
        for keyword in ("items", "additionalProperties", "propertyNames", "not"):
            if isinstance(schema.get(keyword), dict):
                yield from subschemas(schema[keyword])

    checked = [part for part in subschemas(manifest_schema()) if {"type", "enum", "const"} & set(part)]
    assert len(checked) > 20
    undescribed = [part for part in checked if "description" not in part]
    assert undescribed == []


def test_every_pattern_has_a_message_for_editors():
    """yaml-language-server shows ``patternErrorMessage`` instead of the bare regular expression."""
    patterned = {name: part for name, part in manifest_schema()["$defs"].items() if "pattern" in part}
    assert len(patterned) >= 10
    for name, part in patterned.items():
        assert part.get("patternErrorMessage") == f"Not allowed here; allowed: {part['description']}.", name
