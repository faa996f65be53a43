"""The schema compiled to a predicate: never "valid" where jsonschema finds an error, and "valid"
for the manifests people write (else the fast path would never be taken)."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from orbitctl.manifest import ManifestError, load_manifests
from orbitctl.manifest.schema import (
    _compiled,
    _validator,
    _without_valid_members,
    certainly_valid,
    manifest_schema,
)
from orbitctl.manifest.validity import Unsupported, compile_validity
from orbitctl.manifest.yamlload import read_document
from tests.manifest.test_fuzz import json_like, near_manifests

ROOT = Path(__file__).resolve().parents[2]
VALID = [ROOT / "examples" / "numbers.yaml", *sorted((ROOT / "tests" / "manifests").glob("good-*.yaml"))]


def jsonschema_valid(data) -> bool:
    return not list(_validator().iter_errors(data))


def test_the_shipped_schema_compiles_whole():
    """A keyword the compiler does not know would send every manifest through jsonschema (slow):
    teach orbitctl/manifest/validity.py the keyword when this fails."""
    compile_validity(manifest_schema(), _compiled)


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.name)
def test_valid_manifests_are_certainly_valid(path):
    document, problems = read_document(path)
    data = document.data
    assert problems == [] and jsonschema_valid(data)
    assert certainly_valid()(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=near_manifests | json_like)
def test_certainly_valid_only_where_jsonschema_finds_nothing(document):
    if certainly_valid()(document):
        assert jsonschema_valid(document), document


def errors(data) -> list[tuple]:
    """Sorted: jsonschema goes through a mapping's extra members as a set (the loader sorts by line)."""
    return sorted((str(error.validator), tuple(map(str, error.absolute_path)), error.message)
                  for error in _validator().iter_errors(data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=near_manifests)
def test_jsonschema_finds_the_same_errors_without_the_valid_members(document):
    assert errors(_without_valid_members(document)) == errors(document)


def reported(path: Path) -> list[tuple[str, str | None]]:
    """What ``load_manifests`` reports of ``path``, in its order: each problem and its suggestion."""
    try:
        load_manifests([path], environ={})
    except ManifestError as error:
        return [(str(problem), problem.suggestion) for problem in error.problems]
    return []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=near_manifests)
def test_the_loader_reports_the_same_problems_in_the_same_order_as_jsonschema_alone(tmp_path_factory, document):
    """The order a user sees is part of what the fast path keeps: the first problem reported is
    the one jsonschema, walking the whole document, would lead with."""
    path = tmp_path_factory.mktemp("order") / "numbers.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    fast = reported(path)
    with (
        mock.patch("orbitctl.manifest.schema.certainly_valid", lambda: lambda data: False),
        mock.patch("orbitctl.manifest.schema._without_valid_members", lambda data: data),
    ):
        assert reported(path) == fast


def test_only_the_members_in_error_are_left_for_jsonschema():
    document = {"version": 1, "stack": "s", "numbers": {"a": {}, "B": {}, "c": {"count": 0}, "d": {"count": 1}},
                "moved": {"x": "a", "y": "Y"}, "removed": {"r": "orphan"}}
    assert _without_valid_members(document) == {
        "version": 1, "stack": "s", "numbers": {"B": {}, "c": {"count": 0}}, "moved": {"y": "Y"}, "removed": {},
    }


def entry(**keys) -> dict:
    return {"version": 1, "stack": "s", "numbers": {"a": keys}}


@pytest.mark.parametrize(
    "document, valid",
    [
        (entry(count=1), True),
        (entry(count=10000), True),
        (entry(count=0), False),
        (entry(count=10001), False),
        (entry(count=2.0), False),  # integer: a whole number as written
        (entry(count=True), False),
        (entry(label="x" * 100), True),
        (entry(label="x" * 101), False),
        (entry(country="US"), True),
        (entry(country="US\n"), False),  # pattern: $ at the very end only
        (entry(country="us"), False),
        (entry(type="toll_free"), True),
        (entry(type="tollfree"), False),
        (entry(capabilities=["sms", "voice"]), True),
        (entry(capabilities=["sms", "sms"]), False),
        (entry(capabilities=["sms", "rcs"]), True),
        (entry(capabilities=["sms", "telepathy"]), False),
        (entry(capabilities=["whatsapp", "rcs"]), False),  # contains: at least one a PUT toggles
        (entry(capabilities=[]), False),
        (entry(tags=[f"t{index}" for index in range(9)]), True),
        (entry(tags=[f"t{index}" for index in range(10)]), False),
        (entry(tags=["orbitctl__x"]), False),  # not
        (entry(webhook_url=None), True),  # a list of types
        (entry(webhook_url=5), False),
        (entry(compliance_profile_id=""), False),
        (entry(number="+14155550100", count=2), False),  # dependentSchemas
        (entry(number="+14155550100"), True),
        (entry(colour="red"), False),  # additionalProperties
        (entry(lifecycle={"prevent_release": True, "ignore_changes": ["label"]}), True),
        (entry(lifecycle={"prevent_destroy": True}), False),
        ({"version": 1, "stack": "s", "numbers": {"Bad_Name": {}}}, False),  # propertyNames
        ({"version": 1}, False),  # required
        ({"version": 2, "stack": "s"}, False),  # const
        ({"version": 1, "stack": "s", "removed": {"old": "orphan"}}, True),
    ],
)
def test_each_rule_at_its_boundary(document, valid):
    assert certainly_valid()(document) is valid
    assert jsonschema_valid(document) is valid


@pytest.mark.parametrize(
    "schema, value",
    [
        ({"const": 1}, 1.0),  # jsonschema: equal; the predicate is not certain
        ({"uniqueItems": True}, [1.0, 2.0]),
        ({"enum": [1, "a"]}, True),
    ],
)
def test_subtle_cases_are_left_to_jsonschema(schema, value):
    assert compile_validity(schema, _compiled)(value) is False


@pytest.mark.parametrize("schema", [{"format": "email", "type": "string"}, {"$comment": "x", "x-note": 1}])
def test_annotations_are_not_rules(schema):
    assert compile_validity(schema, _compiled)("not an email") is True


@pytest.mark.parametrize(
    "schema",
    [{"unevaluatedProperties": False}, {"patternProperties": {"^a": {}}}, {"$ref": "other.json"}, {"prefixItems": []}],
)
def test_an_unknown_keyword_is_refused_when_compiling(schema):
    with pytest.raises(Unsupported):
        compile_validity(schema, _compiled)


def test_combinators_and_recursive_references():
    schema = {
        "$defs": {"tree": {"type": "object", "additionalProperties": {"$ref": "#/$defs/tree"}}},
        "anyOf": [{"type": "string"}, {"$ref": "#/$defs/tree"}],
        "oneOf": [{"type": "string"}, {"type": "object", "minProperties": 1}],
        "allOf": [{"maxLength": 3}],
    }
    check = compile_validity(schema, _compiled)
    assert check("abc") and check({"a": {"b": {}}})
    assert not check("abcd")  # allOf
    assert not check({"a": {"b": 1}})  # anyOf: a leaf that is not a mapping
    assert not check({})  # oneOf: none
    assert compile_validity({"oneOf": [{"maxLength": 3}, {"type": "string"}]}, _compiled)("abcd")
    assert not compile_validity({"oneOf": [{"maxLength": 3}, {"type": "string"}]}, _compiled)("abc")
