"""The structural check: ``schemas/manifest.schema.json``, with its errors said in plain words.

The schema is the single source of the structural rules; this module only words its errors:
what is wrong, then ``(allowed: ...)`` from the failing part of the schema (its enum, pattern or
``description``). A subschema may carry ``x-error-messages: {keyword: text}`` (an annotation
editors ignore) to say a rule in its own words.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orbitctl
from orbitctl.manifest.document import Document, KeyPath
from orbitctl.manifest.problems import Problem
from orbitctl.manifest.semantic import COUNTRIES
from orbitctl.manifest.suggest import closest, mended
from orbitctl.manifest.validity import Check, Unsupported, compile_validity

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_PATH = Path(orbitctl.__file__).parent / "schemas" / "manifest.schema.json"


@cache
def manifest_schema() -> dict:
    """The manifest schema, as JSON."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _is_integer(checker, value: Any) -> bool:
    """Whole numbers as written: ``2``, not ``2.0`` (which jsonschema would take as an integer)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _pattern(validator, pattern: str, instance: Any, schema: dict):
    """``pattern`` as editors (ECMA-262) read it: ``$`` matches at the very end only, where
    Python's would also match before a trailing line break."""
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern)


@cache
def _validator() -> Draft202012Validator:
    """The jsonschema validator, built (and jsonschema imported) only when a document is not
    :func:`certainly_valid`: most runs never need it."""
    from jsonschema import Draft202012Validator, validators

    manifest_validator = validators.extend(
        Draft202012Validator,
        validators={"pattern": _pattern},
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
    )
    return manifest_validator(manifest_schema())


@cache
def certainly_valid() -> Check:
    """The schema compiled to a predicate (:mod:`orbitctl.manifest.validity`); one that is never
    certain where the schema uses a keyword the compiler does not know."""
    try:
        return compile_validity(manifest_schema(), _compiled)
    except Unsupported:  # pragma: no cover - the shipped schema compiles (a test says so)
        return lambda data: False


def check_structure(document: Document) -> list[Problem]:
    """Every schema violation of the document, each at the line of the value it is about; a value
    of the wrong type is reported once, not also for each rule of the right type it breaks, and a
    list with a wrong item not also for lacking the item ``contains`` asks for (``[SMS]``)."""
    if certainly_valid()(document.data):
        return []
    errors = list(_validator().iter_errors(_without_valid_members(document.data)))
    mistyped = {tuple(error.absolute_path) for error in errors if error.validator == "type"}
    with_wrong_items = {tuple(error.absolute_path)[:-1] for error in errors if error.absolute_path}
    problems = []
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in mistyped:
            continue
        if error.validator == "contains" and tuple(error.absolute_path) in with_wrong_items:
            continue
        problems.extend(_problems(document, error))
    return problems


def _without_valid_members(data: Any) -> Any:
    """``data`` without the members of its sections (``numbers``, ``moved``, ...) that are
    certainly valid: the schema checks those members one by one, so jsonschema finds the same
    errors, at the same paths, in the members left, and a typo in one entry of 10,000 does not
    cost a jsonschema walk of all of them."""
    if not isinstance(data, dict):
        return data
    pruned = dict(data)
    for key, (name_valid, value_valid) in _member_checks().items():
        section = data.get(key)
        if isinstance(section, dict):
            pruned[key] = {name: value for name, value in section.items()
                           if not (name_valid(name) and value_valid(value))}
    return pruned


@cache
def _member_checks() -> dict[str, tuple[Check, Check]]:
    """For each top-level section whose schema says only what each member's name and value must
    be: the compiled checks of a name and of a value."""
    root = manifest_schema()
    checks = {}
    for key, part in root["properties"].items():
        if "additionalProperties" not in part or set(part) - _MEMBERWISE:
            continue
        try:
            checks[key] = (compile_validity(part.get("propertyNames", True), _compiled, root=root),
                           compile_validity(part["additionalProperties"], _compiled, root=root))
        except Unsupported:  # pragma: no cover - the shipped schema compiles
            continue
    return checks


#: The keywords of a section whose members are checked independently of each other.
_MEMBERWISE = frozenset({"type", "propertyNames", "additionalProperties", "description"})


def _problems(document: Document, error: ValidationError) -> list[Problem]:
    path: KeyPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    keyword = str(error.validator)
    # Set on every error a validator yields (the stubs allow Unset for hand-made ones).
    instance: Any = error.instance
    rule: Any = error.validator_value
    custom = schema.get("x-error-messages")
    if isinstance(custom, dict) and keyword in custom:
        schema_path = list(error.absolute_schema_path)
        if keyword == "not" and isinstance(error.validator_value, dict):
            path = path + tuple(error.validator_value.get("required", ())[:1])
        elif "dependentSchemas" in schema_path:  # the rule is about the key that brings it in
            path = (*path, str(schema_path[schema_path.index("dependentSchemas") + 1]))
        return [document.problem(path, custom[keyword], key=True)]
    if "propertyNames" in error.absolute_schema_path:
        path = (*path, str(error.instance))
        message = f"{error.instance!r} is not allowed as a name ({_allowed(schema)})"
        return [document.problem(path, message, key=True, suggestion=_suggestion(error, schema))]
    if keyword == "additionalProperties":
        known = list(schema.get("properties", {}))
        unknown = [key for key in instance if key not in known]
        document.unknown_keys.update((*path, key) for key in unknown)
        return [
            document.problem((*path, key), f"unknown key {key!r} (allowed: {', '.join(known)})",
                             key=True, suggestion=closest(key, known))
            for key in unknown
        ]
    if keyword == "required":
        required = ", ".join(rule)
        return [
            document.problem((*path, key), f"the key {key!r} is missing (required: {required})", key=True)
            for key in rule
            if key not in instance and not _misspelled(key, instance, schema)
        ]
    return [document.problem(path, _message(keyword, error, schema), suggestion=_suggestion(error, schema))]


def _misspelled(key: str, instance: dict, schema: dict) -> bool:
    """Whether an unknown key of ``instance`` is ``key`` mistyped: that key's message says it, so
    "the key is missing" would be a second message for one typo."""
    known = schema.get("properties", {})
    return any(closest(other, known) == key for other in instance if other not in known)


def _suggestion(error: ValidationError, schema: dict) -> str | None:
    """What a mistyped string most likely meant: the closest of an ``enum`` or ``const``; for a
    ``pattern``, the value mended (case, spaces, separators) so that this whole part of the
    schema takes it, and it is a country where the part is ``country``."""
    value: Any = error.instance
    rule: Any = error.validator_value
    if not isinstance(value, str):
        return None
    if error.validator == "enum":
        return closest(value, [option for option in rule if isinstance(option, str)])
    if error.validator == "const":
        return closest(value, [rule]) if isinstance(rule, str) else None
    if error.validator == "pattern":
        name = _definition_names().get(id(schema))
        fits = _fits(name) if name else None
        return mended(value, fits) if fits else None
    return None


@cache
def _definition_names() -> dict[int, str]:
    """The name of each ``$defs`` part, by the part's id (a failing part is found by identity)."""
    return {id(part): name for name, part in manifest_schema()["$defs"].items()}


@cache
def _fits(name: str) -> Check | None:
    """Whether a value is certainly valid against the ``$defs`` part ``name`` (compiled once),
    and a known value where the manifest has a closed set."""
    try:
        valid = compile_validity(manifest_schema()["$defs"][name], _compiled, root=manifest_schema())
    except Unsupported:  # pragma: no cover - the shipped schema compiles
        return None
    known = _CLOSED_SETS.get(name)
    return valid if known is None else lambda value: valid(value) and value in known


#: The values of a $defs part that the schema states only as a pattern.
_CLOSED_SETS = {"country": COUNTRIES}


def _message(keyword: str, error: ValidationError, schema: dict) -> str:
    value: Any = error.instance
    rule: Any = error.validator_value
    if keyword == "type":
        wanted = " or ".join(_TYPE_WORDS.get(name, name) for name in _as_list(rule))
        hint = ""
        if "string" in _as_list(rule) and isinstance(value, (int, float)) and not isinstance(value, bool):
            hint = "; put it in quotes"
        return f"expected {wanted}, got {_describe(value)} ({_allowed(schema)}{hint})"
    if keyword == "enum":
        return f"{_show(value)} is not allowed (allowed: {', '.join(str(item) for item in rule)})"
    if keyword == "const":
        return f"{_show(value)} is not allowed (allowed: {rule})"
    if keyword == "pattern":
        return f"{_show(value)} is not allowed ({_allowed(schema)}; pattern {rule})"
    if keyword == "maxLength":
        return f"is {len(value)} characters long ({_allowed(schema)})"
    if keyword == "minLength":
        return f"is empty ({_allowed(schema)})"
    if keyword == "maxItems":
        return f"has {len(value)} items ({_allowed(schema)})"
    if keyword == "uniqueItems":
        repeated = next((item for index, item in enumerate(value) if item in value[:index]), None)
        return f"{_show(repeated)} is listed more than once ({_allowed(schema)})"
    if keyword == "minimum":
        return f"{_show(value)} is too small (allowed: {rule} or more)"
    if keyword == "maximum":
        return f"{_show(value)} is too large (allowed: at most {rule})"
    return f"{error.message} ({_allowed(schema)})"  # pragma: no cover - a keyword the schema does not use


def _allowed(schema: dict) -> str:
    description = schema.get("description")
    if description:
        return f"allowed: {description}"
    return "allowed: see schemas/manifest.schema.json"  # pragma: no cover - every part is described


_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _as_list(rule: Any) -> list:
    return rule if isinstance(rule, list) else [rule]


def _describe(value: Any) -> str:
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, str) else str(value)
