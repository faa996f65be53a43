"""Live -> manifest text: what `orbitctl export` writes so an existing account can be adopted.

Pure: no I/O beyond reading the packaged schema, which decides what a manifest can state. Every
number becomes an entry pinned with ``number:`` (a pool of this stack with several members stays
one ``count:`` entry), named after its ownership tag when a stack already manages it, else after
its label (slugged, de-duplicated oldest first), else after the number. Configuration is written
as it is live; empty values are left out (an omitted key is not managed, so it cannot show as a
change); a value most entries share is lifted into ``defaults``, and an entry that differs states
its own value, or ``lifecycle.ignore_changes`` when its live value cannot be written in a manifest
(a status of ``regulatory_hold``, differing SMS and voice webhooks, ...). Secrets are never
written: every value a plan would mask is a ``${VARIABLE}`` placeholder (``placeholders.py``),
and ``ExportResult.variables`` says which variables to set. With them set, planning the result
shows only adopts; after apply, it shows nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import phonenumbers
import yaml

from orbitctl import __version__
from orbitctl.errors import OrbitctlError
from orbitctl.frozen import thaw
from orbitctl.manifest.schema import manifest_schema
from orbitctl.manifest.semantic import PHONE_KEYS, parse_number
from orbitctl.manifest.yamlload import lone_surrogate, reads_as_other_than_text
from orbitctl.model import CONFIG_KEYS, MAX_USER_TAGS, REGULATORY_HOLD, Live, LiveNumber
from orbitctl.placeholders import DEFAULTS_OWNER, Placeholders, SecretVariable, secret_non_text
from orbitctl.values import SENSITIVE, SENSITIVE_TEXT, mask_at

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

#: Stack and entry-name slugs, from the schema (the one source of the structural rules).
STACK_PATTERN = re.compile(manifest_schema()["$defs"]["stack"]["pattern"])
NAME_PATTERN = re.compile(manifest_schema()["$defs"]["name"]["pattern"])
#: The longest name NAME_PATTERN allows (tests check the two agree).
NAME_MAX = 36

#: Where the schema comment points by default: a copy of the schema at the root of the
#: repository, for a manifest there (the CLI makes it relative to the manifest's folder).
DEFAULT_SCHEMA_REF = "schemas/manifest.schema.json"

#: Keys that may be lifted into ``defaults``, in the order ``defaults`` states them: country, type
#: and the configuration keys but the label (one a number) and channel_config (an object).
LIFTABLE_KEYS = (
    "country",
    "type",
    *(key for key in CONFIG_KEYS if key not in ("label", "channel_config")),
)

#: Selection keys cannot be ignored with ``ignore_changes``; they are always stated.
_SELECTION_KEYS = ("country", "type")
#: Every key an exported entry may state besides ``number``/``count``, in the order it states them.
_ENTRY_KEYS = (*_SELECTION_KEYS, *CONFIG_KEYS)


class _Unwritable:
    """A live value a manifest cannot state (the key is then left unmanaged for that entry)."""

    def __init__(self, why: str):
        self.why = why

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<unwritable: {self.why}>"


#: A key with no live value: nothing to state.
_EMPTY = object()


@dataclass(frozen=True)
class ExportResult:
    """The manifest text and what went into it (for the summary on stderr)."""

    text: str
    stack: str
    #: entries written, and numbers in them (a pool entry holds several)
    entries: int
    numbers: int
    #: numbers already managed by the stack, and unmanaged numbers written to be adopted
    managed: int
    adopted: int
    #: unmanaged numbers left out (``include_unmanaged`` false)
    unmanaged_left_out: int
    #: numbers of other stacks left out, by stack
    foreign_left_out: Mapping[str, int]
    #: one line each: numbers left out or keys left unmanaged, and why
    warnings: tuple[str, ...] = ()
    #: the environment variables the manifest reads its secrets from
    variables: tuple[SecretVariable, ...] = ()


@dataclass
class _Entry:
    name: str
    numbers: list[LiveNumber]
    pool: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    stated: dict[str, Any] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


# --- names ------------------------------------------------------------------------------------


def slugify(text: str, *, limit: int = NAME_MAX) -> str:
    """``text`` as a name slug (``^[a-z0-9][a-z0-9-]*``, at most ``limit`` chars); "" if nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def number_name(number: str) -> str:
    """The name of a number with no usable label: ``number-<digits>``."""
    return f"number-{re.sub(r'[^0-9]', '', number)}"


def base_name(live: LiveNumber) -> str:
    """The name a number's label suggests, or one made from the number."""
    label = live.config.get("label")
    slug = slugify(label) if isinstance(label, str) else ""
    return slug or number_name(live.number)


def _with_suffix(base: str, index: int) -> str:
    suffix = f"-{index}"
    return base[: NAME_MAX - len(suffix)].rstrip("-") + suffix


def assign_names(numbers: Sequence[LiveNumber], taken: Iterable[str] = ()) -> dict[str, str]:
    """Names for unmanaged numbers: ``{number id: name}``, unique and not in ``taken``.

    Deterministic: numbers are named oldest first (``created_at``, then the number); each takes
    its label's slug if still free, else the smallest free ``-2``, ``-3``, ... suffix of it. So a
    number's name depends only on numbers older than it: buying more never renames one."""
    used = set(taken)
    names: dict[str, str] = {}
    next_index: dict[str, int] = {}  # a suffix passed over stays taken: never look below it again
    for live in sorted(numbers, key=lambda n: (n.created_at, n.number, n.id)):
        base = base_name(live)
        name = base
        if name in used:
            index = next_index.get(base, 2)
            while _with_suffix(base, index) in used:
                index += 1
            next_index[base] = index + 1
            name = _with_suffix(base, index)
        used.add(name)
        names[live.id] = name
    return names


# --- live values -> manifest values -----------------------------------------------------------


#: The schema definition each written key must satisfy (``$defs`` of manifest.schema.json).
_SCHEMA_DEFS = {
    "number": "number",
    "country": "country",
    "type": "type",
    "label": "label",
    "status": "status",
    "capabilities": "capabilities",
    "tags": "tags",
    "webhook_url": "webhook_url",
    "forwarding_number": "forwarding",
    "sms_forwarding": "forwarding",
    "compliance_profile_id": "compliance_profile_id",
    "channel_config": "channel_config",
    "agent_id": "agent_id",
}


@cache
def _definition_validator(definition: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # here: importing it costs every command's start-up

    root = manifest_schema()
    return Draft202012Validator({"$defs": root["$defs"], "$ref": f"#/$defs/{definition}"})


def writable_problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be written as ``key`` in a manifest (schema and phone rules), or None."""
    if key == "number":  # unique per number: not worth caching
        return _writable_problem(key, value)
    return _writable_problem_cached(key, json.dumps(value, sort_keys=True))


@lru_cache(maxsize=65536)
def _writable_problem_cached(key: str, value_json: str) -> str | None:
    """Values repeat across an account (one webhook, a few labels): each is checked once."""
    return _writable_problem(key, json.loads(value_json))


def _writable_problem(key: str, value: Any) -> str | None:
    if lone_surrogate(json.dumps(value, ensure_ascii=False)):
        return f"{key} holds a lone surrogate, which is not text a manifest can hold"
    definition = _SCHEMA_DEFS[key]
    if not _definition_validator(definition).is_valid(value):
        rule = manifest_schema()["$defs"][definition]
        allowed = ", ".join(map(str, rule["enum"])) if "enum" in rule else rule.get("description")
        masked = mask_at((key,), value)  # warnings are printed: no secret in them
        shown = SENSITIVE_TEXT if masked is SENSITIVE else repr(masked)
        return f"{key} {shown} cannot be written in a manifest (allowed: {allowed or 'see the schema'})"
    if key in PHONE_KEYS and value and parse_number(value) is None:
        return f"{key} {value!r} is not a valid phone number for libphonenumber"
    return None


def manifest_value(key: str, live: LiveNumber) -> Any:
    """What an entry states for ``key``: a value, ``_EMPTY`` (nothing live) or ``_Unwritable``."""
    value: Any
    if key == "country":
        value = live.country
    elif key == "type":
        value = live.type
    elif key not in live.config:
        return _EMPTY
    else:
        value = thaw(live.config[key])
        if key in ("label", "status", "channel_config") and not value:
            return _EMPTY
        if key in ("capabilities", "tags"):
            value = sorted(value or ())
        elif key in ("forwarding_number", "sms_forwarding"):
            value = value or ""
        elif key in ("compliance_profile_id", "agent_id"):
            value = value or None
        elif key == "webhook_url" and isinstance(value, dict):
            return _Unwritable("the SMS and voice webhooks differ")
        elif key == "status" and value == REGULATORY_HOLD:
            return _Unwritable("the number is in regulatory hold (attach a compliance profile)")
        elif key == "channel_config" and (where := secret_non_text((key,), value)):
            return _Unwritable(f"{where} is a secret that is not text, and a manifest takes secrets only "
                               "as text from environment variables")
    problem = writable_problem(key, value)
    return _Unwritable(problem) if problem else _escape(value)


def _escape(value: Any) -> Any:
    """Strings as the loader reads them back: a literal ``${`` is written ``$${``."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, list):
        return [_escape(item) for item in value]
    if isinstance(value, dict):
        return {key: _escape(item) for key, item in value.items()}
    return value


def pin_problem(live: LiveNumber) -> str | None:
    """Why ``live`` cannot be pinned in a manifest (its number or country), or None."""
    for key, value in (("country", live.country), ("type", live.type)):
        problem = writable_problem(key, value)
        if problem:
            return problem
    if not _definition_validator(_SCHEMA_DEFS["number"]).is_valid(live.number):
        return writable_problem("number", live.number)
    parsed = parse_number(live.number)
    if parsed is None:
        return f"number {live.number!r} is not a valid phone number for libphonenumber"
    region = phonenumbers.region_code_for_number(parsed)
    if region != live.country and not phonenumbers.is_valid_number_for_region(parsed, live.country):
        return f"libphonenumber places it in {region}, the account in {live.country}"
    return None


def _is_none_value(value: Any) -> bool:
    """A written value that means "none" (left out of an entry unless a default must be undone)."""
    return value is None or value == "" or value == []


def _common(values: Sequence[Any]) -> Any:
    """The value every member of a pool shares, else ``_Unwritable``."""
    first = values[0]
    if isinstance(first, _Unwritable):
        return first
    if all(_key(value) == _key(first) for value in values[1:]):
        return first
    return _Unwritable("the pool's members differ")


def _key(value: Any) -> str:
    if value is _EMPTY:
        return "<empty>"
    if isinstance(value, _Unwritable):
        return f"<unwritable {id(value)}>"
    return json.dumps(value, sort_keys=True)


# --- the export -------------------------------------------------------------------------------


def stacks_on(live: Live) -> dict[str, int]:
    """How many numbers each stack manages on the account."""
    return dict(Counter(n.owner.stack for n in live.numbers if n.owner is not None))


def choose_stack(live: Live, stack: str | None) -> str:
    """The stack to export: ``stack`` if given (checked), else the only stack on the account."""
    if stack is not None:
        return checked_stack(stack)
    stacks = sorted(stacks_on(live))
    if len(stacks) == 1:
        return checked_stack(stacks[0])
    if not stacks:
        raise OrbitctlError(
            "no stack manages a number on this account yet: name the new stack with --stack "
            "(e.g. orbitctl export --stack prod --unmanaged)"
        )
    raise OrbitctlError(
        f"the account holds numbers of {len(stacks)} stacks ({', '.join(stacks)}): "
        "choose one with --stack"
    )


def checked_stack(stack: str) -> str:
    """``stack`` when it is a stack name; else an OrbitctlError for ``--stack`` saying what is allowed."""
    if not STACK_PATTERN.fullmatch(stack):
        raise OrbitctlError(
            f"--stack {stack!r} is not a stack name (allowed: lowercase letters, digits and "
            "'-', starting with a letter or digit, at most 16 characters, e.g. 'prod')"
        )
    return stack


def export_manifest(
    live: Live,
    stack: str,
    *,
    include_unmanaged: bool = False,
    schema_ref: str = DEFAULT_SCHEMA_REF,
) -> ExportResult:
    """The manifest of ``stack``'s numbers (plus every unmanaged number if ``include_unmanaged``)."""
    warnings: list[str] = []
    managed: dict[str, list[LiveNumber]] = {}
    unmanaged: list[LiveNumber] = []
    foreign: Counter[str] = Counter()
    unmanaged_left_out = 0
    for number in live.numbers:
        if number.owner is None:
            if include_unmanaged:
                unmanaged.append(number)
            else:
                unmanaged_left_out += 1
        elif number.owner.stack == stack:
            managed.setdefault(number.owner.name, []).append(number)
        else:
            foreign[number.owner.stack] += 1

    pin_problems: dict[str, str | None] = {}
    renamed: list[LiveNumber] = []
    for name in sorted(name for name in managed if not NAME_PATTERN.fullmatch(name)):
        # an ownership tag whose name no manifest can state (written by hand?): its numbers are
        # pinned under new names, which the plan adopts them into (retagging them)
        warnings.append(
            f"stack {stack}'s entry name {name!r} is not a valid name; its numbers are written "
            "under new names, pinned, and the plan adopts them under those"
        )
        renamed += managed.pop(name)

    adoptable = []
    for number in sorted(unmanaged + renamed, key=lambda n: n.number):
        tags = number.config.get("tags") or ()
        problem = pin_problems[number.id] = pin_problem(number)
        if problem:
            warnings.append(f"{number.number} left out: it cannot be pinned ({problem})")
        elif len(tags) > MAX_USER_TAGS:
            warnings.append(
                f"{number.number} left out: it has {len(tags)} tags and orbitctl needs one of the "
                f"API's {MAX_USER_TAGS + 1} for ownership; remove a tag, then export again"
            )
        else:
            adoptable.append(number)

    entries = [
        _Entry(name, sorted(members, key=lambda n: (n.created_at, n.number)), pool=len(members) > 1)
        for name, members in managed.items()
    ]
    names = assign_names(adoptable, taken=managed)
    entries += [_Entry(names[number.id], [number]) for number in adoptable]
    entries.sort(key=lambda entry: entry.name)

    for entry in entries:
        for key in _ENTRY_KEYS:
            entry.values[key] = _common([manifest_value(key, n) for n in entry.numbers])
    defaults = _lift_defaults(entries)
    for entry in entries:
        _state_entry(entry, defaults, warnings, pin_problems)
    placeholders = Placeholders(stack)
    defaults = {key: placeholders.hide(value, (key,), DEFAULTS_OWNER) for key, value in defaults.items()}
    for entry in entries:
        entry.stated = {key: placeholders.hide(value, (key,), entry.name) for key, value in entry.stated.items()}

    text = _render(stack, defaults, entries, schema_ref=schema_ref)
    adopted = len(adoptable)
    return ExportResult(
        text=text,
        stack=stack,
        entries=len(entries),
        numbers=sum(len(entry.numbers) for entry in entries),
        managed=sum(len(members) for members in managed.values()),
        adopted=adopted,  # numbers renamed from an invalid entry name count here: they are adopted
        unmanaged_left_out=unmanaged_left_out,
        foreign_left_out=dict(sorted(foreign.items())),
        warnings=tuple(warnings),
        variables=tuple(placeholders.variables),
    )


def _lift_defaults(entries: Sequence[_Entry]) -> dict[str, Any]:
    """Each liftable key whose commonest written value more than half of the entries share."""
    defaults: dict[str, Any] = {}
    for key in LIFTABLE_KEYS:
        counts: Counter[str] = Counter()
        sample: dict[str, Any] = {}
        for entry in entries:
            value = entry.values[key]
            if value is _EMPTY or isinstance(value, _Unwritable) or _is_none_value(value):
                continue
            counts[_key(value)] += 1
            sample[_key(value)] = value
        if not counts:
            continue
        best, count = min(counts.items(), key=lambda item: (-item[1], item[0]))
        if count >= 2 and count * 2 > len(entries):
            defaults[key] = sample[best]
    return defaults


def _state_entry(
    entry: _Entry, defaults: Mapping[str, Any], warnings: list[str], pin_problems: dict[str, str | None]
) -> None:
    """Fill ``entry.stated`` and ``entry.ignored`` from its values and the lifted defaults."""
    if entry.pool:
        entry.stated["count"] = len(entry.numbers)
    else:
        first = entry.numbers[0]
        problem = pin_problems[first.id] if first.id in pin_problems else pin_problem(first)
        if problem is None:
            entry.stated["number"] = entry.numbers[0].number
        else:  # managed already (an unmanaged one is left out): the tag keeps it, unpinned
            warnings.append(f"{entry.name}: {entry.numbers[0].number} is not pinned ({problem})")
    unmanaged: dict[str, list[str]] = {}
    for key in _ENTRY_KEYS:
        value = entry.values[key]
        if isinstance(value, _Unwritable):
            if key in _SELECTION_KEYS:
                warnings.append(f"{entry.name}: {value.why}; check its {key}")
            else:
                unmanaged.setdefault(value.why, []).append(key)
            if key in defaults:
                entry.ignored.append(key)
            continue
        if key in defaults:
            if value is _EMPTY:
                entry.ignored.append(key)
            elif _key(value) != _key(defaults[key]):
                entry.stated[key] = value
        elif value is not _EMPTY and not _is_none_value(value):
            entry.stated[key] = value
    for why, keys in unmanaged.items():
        warnings.append(f"{entry.name}: {', '.join(keys)} left unmanaged: {why}")


# --- text -------------------------------------------------------------------------------------


if TYPE_CHECKING:  # the same interface either way
    _BaseDumper = yaml.SafeDumper
else:  # libyaml's when PyYAML is built with it
    _BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _ManifestDumper(_BaseDumper):
    """Block style, except lists of scalars, which read best inline: ``[sms, voice]``."""


def _represent_list(dumper: yaml.SafeDumper, items: list) -> yaml.Node:
    flow = all(not isinstance(item, (list, dict)) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    """Quoted when the manifest loader (YAML 1.2 core schema) would read the plain text as
    something else: ``1e3`` and ``0o17`` are numbers there, though YAML 1.1 dumpers leave them plain."""
    style = "'" if reads_as_other_than_text(text) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ManifestDumper.add_representer(list, _represent_list)
_ManifestDumper.add_representer(str, _represent_str)


def _dump(document: Any, indent: int = 0) -> str:
    text = yaml.dump(
        document,
        Dumper=_ManifestDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=4096,
    )
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def _render(stack: str, defaults: Mapping[str, Any], entries: Sequence[_Entry], *, schema_ref: str) -> str:
    count = sum(len(entry.numbers) for entry in entries)
    lines = [
        f"# yaml-language-server: $schema={schema_ref}",
        f"# Exported by orbitctl {__version__}: {count} number{'s' * (count != 1)} of the account.",
        "# Review it, then: orbitctl plan FILE (adopts only), orbitctl apply FILE.",
        "",
        _dump({"version": 1, "stack": stack}).rstrip("\n"),
    ]
    if defaults:
        lines.append(_dump({"defaults": dict(defaults)}).rstrip("\n"))
    if not entries:
        lines.append("numbers: {}")
        return "\n".join(lines) + "\n"
    lines.append("numbers:")
    for position, entry in enumerate(entries):
        if position:
            lines.append("")
        if entry.pool:
            members = ", ".join(n.number for n in entry.numbers)
            lines.append(f"  # a pool of {len(entry.numbers)}: {members}")
        body = dict(entry.stated)
        if entry.ignored:
            body["lifecycle"] = {"ignore_changes": list(entry.ignored)}
        lines.append(_dump({entry.name: body}, indent=2).rstrip("\n"))
    return "\n".join(lines) + "\n"
