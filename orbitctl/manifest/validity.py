"""The manifest schema compiled once into a plain function: is this data certainly valid?

jsonschema words every error well but walks each value through its keyword machinery, which
costs about 150 µs an entry; most manifests are valid. :func:`compile_validity` turns a schema into
nested closures that answer the one question, at a few µs an entry, and
:mod:`orbitctl.manifest.schema` asks jsonschema only about data that fails it, so jsonschema stays
the one judge of what is wrong. The closures follow jsonschema (draft 2020-12) with the manifest
validator's two rules (``integer`` is a whole number as written, ``pattern``'s ``$`` matches at the
very end only); where a case is subtle (``1`` against ``1.0``, floats in ``uniqueItems``) they say
"not certain", which costs time and never a missed error. A keyword this module does not know
raises :class:`Unsupported` when compiling, and then every document goes through jsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]


class Unsupported(Exception):
    """The schema uses a keyword (or a $ref) this compiler does not implement."""


#: Keywords that say nothing about validity.
_ANNOTATIONS = frozenset({
    "$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples",
    "deprecated", "readOnly", "writeOnly", "format", "patternErrorMessage",
})

#: Keywords about an object's members, compiled together by :meth:`_Compiler.members`.
_MEMBERS = ("properties", "additionalProperties", "patternProperties")

_TYPES: dict[str, Check] = {
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "null": lambda value: value is None,
}


def equal(one: Any, two: Any) -> bool:
    """Certainly equal as JSON: two strings, whole numbers, booleans or nulls, of one type."""
    return type(one) is type(two) and isinstance(one, _PLAIN) and one == two


def unique(items: list) -> bool:
    """Certainly no two items are equal: all plain (as in :func:`equal`), no two the same."""
    if not all(isinstance(item, _PLAIN) for item in items):
        return False
    return len({(type(item), item) for item in items}) == len(items)


_PLAIN = (str, int, type(None))  # bool is an int; a float is never "plain": 1 == 1.0, nan != nan


def compile_validity(schema: dict, pattern: Callable[[str], re.Pattern], root: dict | None = None) -> Check:
    """A function telling whether a value is certainly valid against ``schema``, whose ``#/...``
    references are resolved in ``root`` (default: ``schema`` itself); ``pattern`` compiles a
    ``pattern`` keyword."""
    return _Compiler(schema if root is None else root, pattern).compile(schema)


def _all(checks: list[Check]) -> Check:
    """One check that passes when all of ``checks`` do (unrolled for the usual few)."""
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    first, rest = checks[0], _all(checks[1:])
    return lambda value: first(value) and rest(value)


class _Compiler:
    def __init__(self, root: dict, pattern: Callable[[str], re.Pattern]):
        self.root = root
        self.pattern = pattern
        self.references: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, dict):
            raise Unsupported(f"a schema that is not a mapping: {schema!r}")
        checks = [self.keyword(name, rule, schema) for name, rule in schema.items()
                  if name not in _ANNOTATIONS and not name.startswith("x-") and name not in _MEMBERS]
        if any(name in schema for name in _MEMBERS):
            checks.append(self.members(schema))
        return _all([check for check in checks if check is not None])

    def reference(self, target: str) -> Check:
        """A $ref, compiled once; a recursive one is looked up when called."""
        if not target.startswith("#/"):
            raise Unsupported(f"a $ref outside the schema: {target}")
        if target not in self.references:
            self.references[target] = lambda value: self.references[target](value)  # while compiling
            found: Any = self.root
            for part in target[2:].split("/"):
                found = found[part.replace("~1", "/").replace("~0", "~")]
            self.references[target] = self.compile(found)
        return self.references[target]

    def keyword(self, name: str, rule: Any, schema: dict) -> Check | None:
        if name == "$ref":
            return self.reference(rule)
        if name == "type":
            kinds = [_TYPES[kind] for kind in (rule if isinstance(rule, list) else [rule])]
            if len(kinds) == 1:
                return kinds[0]
            return lambda value: any(kind(value) for kind in kinds)
        if name == "enum":
            if all(isinstance(option, str) for option in rule):
                options = frozenset(rule)
                return lambda value: isinstance(value, str) and value in options
            return lambda value: any(equal(value, option) for option in rule)
        if name == "const":
            return lambda value: equal(value, rule)
        if name == "pattern":
            search = self.pattern(rule).search
            return lambda value: not isinstance(value, str) or search(value) is not None
        if name in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
            kind = {"L": str, "I": list, "P": dict}[name[3]]
            if name.startswith("min"):
                return lambda value: not isinstance(value, kind) or len(value) >= rule
            return lambda value: not isinstance(value, kind) or len(value) <= rule
        if name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            test = {
                "minimum": lambda value: not value < rule,
                "maximum": lambda value: not value > rule,
                "exclusiveMinimum": lambda value: not value <= rule,
                "exclusiveMaximum": lambda value: not value >= rule,
            }[name]
            is_number = _TYPES["number"]
            return lambda value: not is_number(value) or test(value)
        if name == "uniqueItems":
            return (lambda value: not isinstance(value, list) or unique(value)) if rule else None
        if name == "items":
            item = self.compile(rule)
            return lambda value: not isinstance(value, list) or all(map(item, value))
        if name == "contains":
            if "minContains" in schema or "maxContains" in schema:
                raise Unsupported("the keywords 'minContains' and 'maxContains'")
            wanted = self.compile(rule)
            return lambda value: not isinstance(value, list) or any(map(wanted, value))
        if name == "required":
            return lambda value: not isinstance(value, dict) or all(key in value for key in rule)
        if name == "propertyNames":
            key_check = self.compile(rule)
            return lambda value: not isinstance(value, dict) or all(map(key_check, value))
        if name == "dependentSchemas":
            dependents = [(key, self.compile(sub)) for key, sub in rule.items()]
            return lambda value: not isinstance(value, dict) or all(
                check(value) for key, check in dependents if key in value
            )
        if name == "not":
            negated = self.compile(rule)
            return lambda value: not negated(value)
        if name in ("allOf", "anyOf", "oneOf"):
            subs = [self.compile(sub) for sub in rule]
            if name == "allOf":
                return lambda value: all(sub(value) for sub in subs)
            if name == "anyOf":
                return lambda value: any(sub(value) for sub in subs)
            return lambda value: sum(1 for sub in subs if sub(value)) == 1
        raise Unsupported(f"the keyword {name!r}")

    def members(self, schema: dict) -> Check:
        """``properties`` and ``additionalProperties``, compiled together: one pass over the keys."""
        if "patternProperties" in schema:
            raise Unsupported("the keyword 'patternProperties'")
        known = {key: self.compile(sub) for key, sub in schema.get("properties", {}).items()}
        other = self.compile(schema.get("additionalProperties", True))

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return True
            return all(known.get(key, other)(item) for key, item in value.items())

        return check
