"""The manifest reference (docs/manifest-reference.md), generated from the manifest JSON Schema.

    python -m orbitctl.manifest.reference > docs/manifest-reference.md

The schema is the single source of the structural rules; tests check the page equals this
output, so the reference cannot drift from what `orbitctl validate` enforces.
"""

from __future__ import annotations

import sys
from typing import Any

from orbitctl.manifest.schema import manifest_schema
from orbitctl.model import CONFIG_KEYS, SELECTION_KEYS

REGENERATE = "python -m orbitctl.manifest.reference > docs/manifest-reference.md"

_KIND_NOTES = {
    "selection": "decides which number is bought; changing it on an existing entry replaces the number",
    "configuration": "kept in sync with the API; left out means not managed",
    "pool": "how many interchangeable numbers the entry holds",
    "lifecycle": "how orbitctl may change the number",
    "porting": "where a pinned number not on the account yet is ported in from (see docs/porting.md)",
}


def _resolve(schema: dict, root: dict) -> tuple[dict, str | None]:
    """``schema`` with a ``$ref`` into ``$defs`` followed; the definition's name, if any."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.rsplit("/", 1)[1]
        merged = {**root["$defs"][name], **{k: v for k, v in schema.items() if k != "$ref"}}
        return merged, name
    return schema, None


def _code(value: Any) -> str:
    if value is None:
        text = "null"
    elif value is True or value is False:
        text = str(value).lower()
    else:
        text = str(value)
    return "`" + text.replace("|", "\\|") + "`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _type_words(schema: dict, root: dict) -> str:
    """A short statement of a value's type: ``string or null``, ``list of string``, ..."""
    schema, _ = _resolve(schema, root)
    if "const" in schema:
        return f"exactly {_code(schema['const'])}"
    if "enum" in schema:
        return "one of " + ", ".join(_code(item) for item in schema["enum"])
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    words = []
    for kind in types:
        if kind == "array" and "items" in schema:
            words.append(f"list of {_type_words(schema['items'], root)}")
        elif kind == "object":
            words.append("mapping")
        else:
            words.append(kind)
    return " or ".join(words) or "any"


def _rules(schema: dict, root: dict) -> list[str]:
    """The constraints of a value, one phrase each."""
    schema, _ = _resolve(schema, root)
    rules = []
    if "pattern" in schema:
        rules.append(f"matches {_code(schema['pattern'])}")
    if "not" in schema and "pattern" in schema["not"]:
        rules.append(f"must not match {_code(schema['not']['pattern'])}")
    for keyword, words in (
        ("minLength", "at least {} character(s)"),
        ("maxLength", "at most {} characters"),
        ("minimum", "at least {}"),
        ("maximum", "at most {}"),
        ("minItems", "at least {} items"),
        ("maxItems", "at most {} items"),
    ):
        if keyword in schema:
            rules.append(words.format(schema[keyword]))
    if schema.get("uniqueItems"):
        rules.append("each item once")
    contains = schema.get("contains")
    if isinstance(contains, dict) and "enum" in contains:
        rules.append("at least one of " + ", ".join(_code(item) for item in contains["enum"]))
    items = schema.get("items")
    if isinstance(items, dict):
        item_rules = _rules(items, root)
        if item_rules:
            rules.append("each item " + ", ".join(item_rules))
    for variant in schema.get("oneOf", []) + schema.get("anyOf", []):
        rules.extend(_rules(variant, root))
    return rules


def _description(schema: dict, root: dict) -> str:
    schema, _ = _resolve(schema, root)
    return schema.get("description", "")


def _sentence(text: str) -> str:
    """``text`` with its first letter a capital (and nothing else changed)."""
    return text[:1].upper() + text[1:]


def _kind(key: str) -> str:
    if key in SELECTION_KEYS:
        return "selection"
    if key in CONFIG_KEYS:
        return "configuration"
    if key == "count":
        return "pool"
    if key == "port_in":
        return "porting"
    return key if key == "lifecycle" else ""


def _property_table(properties: dict, root: dict, *, required=(), kinds: bool = False, defaults=None) -> list[str]:
    header = ["Key"]
    if kinds:
        header.append("Kind")
    header += ["Value", "Rules"]
    if defaults is not None:
        header.append("In `defaults`")
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for key, schema in properties.items():
        name = f"`{key}`" + (" (required)" if key in required else "")
        row = [name]
        if kinds:
            row.append(_kind(key))
        value = _type_words(schema, root)
        description = _description(schema, root)
        row.append(_cell(f"{value}: {description}" if description else value))
        row.append(_cell("; ".join(_rules(schema, root))) or "")
        if defaults is not None:
            row.append("yes" if key in defaults else "no")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _error_messages(schema: dict) -> list[str]:
    """Rules a schema states in its own words (``x-error-messages``), e.g. count with number."""
    messages: list[str] = []
    for dependent in schema.get("dependentSchemas", {}).values():
        for keyword in _MESSAGE_KEYWORDS:
            messages.extend(str(text) for text in dependent.get(keyword, {}).values())
    return messages


#: Where a schema keeps its own wording of a rule (the second is the ajv-errors spelling).
_MESSAGE_KEYWORDS = ("x-error-messages", "errorMessage")


def reference() -> str:
    """The reference page, as markdown."""
    root = manifest_schema()
    defs = root["$defs"]
    entry = defs["entry"]
    defaults = defs["defaults"]
    lifecycle = defs["lifecycle"]
    port_in = defs["port_in"]
    lines = [
        "# Manifest reference",
        "",
        "<!-- Generated from schemas/manifest.schema.json; do not edit. Regenerate with:",
        f"     {REGENERATE} -->",
        "",
        "A manifest holds the phone numbers of one stack. The schema, `schemas/manifest.schema.json` "
        "(JSON Schema 2020-12), is the single source of these rules; this page is generated from it. Point your "
        "editor at it with a first line `# yaml-language-server: $schema=<path or URL of the schema>`.",
        "",
        "`orbitctl validate` checks the schema and, after it, what a schema cannot say: that numbers "
        "are real E.164 numbers (and in the stated country), that the country exists and offers the "
        "type, at most 9 user tags, each number pinned once, and `moved`/`removed` agreeing with the "
        "entries. Any string may use `${VAR}` for an environment variable; write `$${` for a literal `${`.",
        "",
        "## Top level",
        "",
        *_property_table(root["properties"], root, required=root.get("required", ())),
        "",
        "Unknown keys are an error at every level.",
        "",
        "## Entries: `numbers.<name>`",
        "",
        f"The name of an entry is its identity: {_description({'$ref': '#/$defs/name'}, root)} "
        f"(`{defs['name']['pattern']}`). An entry is {entry.get('description', 'a mapping')}. Keys of "
        "`defaults` are merged "
        "under every entry; the entry's own keys win.",
        "",
        "Kinds: " + "; ".join(f"*{kind}* {note}" for kind, note in _KIND_NOTES.items()) + ".",
        "",
        *_property_table(entry["properties"], root, kinds=True, defaults=defaults["properties"]),
        "",
    ]
    messages = _error_messages(entry)
    if messages:
        lines += ["Also:", "", *(f"- {message}" for message in messages), ""]
    lines += [
        "## `lifecycle`",
        "",
        *_property_table(lifecycle["properties"], root),
        "",
        "## `account`",
        "",
        f"{_sentence(_description(root['properties']['account'], root))}. Each value is the name of a variable, "
        "never the key or URL itself; a manifest may not substitute (`${VAR}`) a variable that an `api_key_env` "
        "names. Plan and apply read the variables (a variable named and not set is an error there); "
        "`orbitctl validate` needs none. See [stacks and accounts](stacks.md).",
        "",
        *_property_table(defs["account"]["properties"], root),
        "",
        "## `budget`",
        "",
        f"{_sentence(_description(root['properties']['budget'], root))}. A plan that would leave the stack's "
        "monthly cost (what its numbers cost now, plus purchases, less releases) above it and higher than now "
        "is refused; a plan that lowers the cost of a stack already over it is allowed.",
        "",
        *_property_table(defs["budget"]["properties"], root, required=defs["budget"].get("required", ())),
        "## `port_in`",
        "",
        f"{port_in['description'][0].upper()}{port_in['description'][1:]}. An entry that pins `number:` and "
        "says `port_in:` has its number ported in, not bought, while the number is not on the account: the "
        "plan shows a `port` action, then the request waiting, then the number adopted once it has "
        "arrived (docs/porting.md). The PIN is never written: `pin` names the environment variable that "
        "holds it, read only when apply submits the request.",
        "",
        *_property_table(port_in["properties"], root, required=port_in.get("required", ())),
        "",
        "## `moved` and `removed`",
        "",
        f"- `moved`: {_description(root['properties']['moved'], root)}. The number keeps its place "
        "on the account and is retagged with the new name.",
        f"- `removed`: {_description(root['properties']['removed'], root)}. The ownership tag is "
        "removed and the number stays on the account, unmanaged.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    sys.stdout.write(reference())


if __name__ == "__main__":
    main()
