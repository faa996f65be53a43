"""The rules JSON Schema cannot say: real phone numbers, real countries, what each country
offers, one pin per number, and ``moved``/``removed`` that agree with the entries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers

from orbitctl.manifest.document import KeyPath
from orbitctl.manifest.merge import Merged, Placed
from orbitctl.manifest.problems import Problem
from orbitctl.manifest.suggest import closest

#: ISO 3166-1 alpha-2 codes of the countries (and territories) that have telephone numbers.
COUNTRIES = frozenset(region for region in phonenumbers.SUPPORTED_REGIONS if len(region) == 2)

#: Number types offered only in some countries (Orbit's Number Types table; UK is GB). The other
#: types (local, mobile) may be asked for anywhere: the inventory answers.
TYPE_COUNTRIES = {
    "toll_free": ("US", "CA", "GB", "AU"),
    "short_code": ("US", "CA", "GB"),
}

PHONE_KEYS = ("number", "forwarding_number", "sms_forwarding")

_COUNTRY_ALLOWED = "allowed: an ISO 3166-1 alpha-2 code, e.g. US"
#: Codes people write for a country whose ISO code differs.
_COUNTRY_ALIASES = {"UK": "GB"}


def check_meaning(merged: Merged) -> list[Problem]:
    """Every semantic problem of the merged manifests."""
    problems: list[Problem] = []
    for key, default in merged.defaults.items():
        problems.extend(_check_value(key, default))
    pinned: dict[str, Placed] = {}
    unsure = _with_unknown_keys(merged)
    for entry in merged.entries.values():
        if not isinstance(entry.value, dict):
            continue
        for key, value in entry.value.items():
            problems.extend(_check_value(key, Placed(value, entry.document, (*entry.path, key))))
        missing_is_a_typo = unsure.defaults or (id(entry.document), entry.path) in unsure.entries
        problems.extend(_check_selection(entry, merged.defaults, missing_is_a_typo))
        problems.extend(_check_pinned_once(entry, pinned))
    problems.extend(_check_moved_and_removed(merged))
    return problems


@lru_cache(maxsize=4096)  # an entry's pin is looked at three times; one forwarding number by many
def parse_number(text: str) -> phonenumbers.PhoneNumber | None:
    """The number if ``text`` is a valid E.164 number, else None (do not change what it returns)."""
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _check_value(key: str, placed: Placed) -> list[Problem]:
    value = placed.value
    if key in PHONE_KEYS and isinstance(value, str) and value and parse_number(value) is None:
        return [placed.problem(f"{value!r} is not a valid phone number (allowed: a number that exists in "
                               "its country's numbering plan, in E.164, e.g. \"+14155550100\")")]
    if key == "country" and isinstance(value, str) and value not in COUNTRIES:
        return [placed.problem(f"{value!r} is not an ISO 3166-1 alpha-2 country code "
                               "(allowed: a code such as US, GB, DE, FR, AU)",
                               suggestion=_COUNTRY_ALIASES.get(value))]
    return []


def _effective(entry: Placed, defaults: dict[str, Placed], key: str) -> tuple[Any, Placed | None]:
    if key in entry.value:
        return entry.value[key], Placed(entry.value[key], entry.document, (*entry.path, key))
    default = defaults.get(key)
    return (default.value, default) if default else (None, None)


@dataclass(frozen=True)
class _Unsure:
    """Where the schema check found unknown keys, which may be a key that looks missing, mistyped:
    at the top level or in ``defaults`` of any file (``defualts:``), or directly in an entry."""

    defaults: bool
    entries: frozenset[tuple[int, KeyPath]]  # (id of the document, the entry's path)


def _with_unknown_keys(merged: Merged) -> _Unsure:
    paths = [(document, path) for document in merged.documents for path in document.unknown_keys]
    return _Unsure(
        defaults=any(len(path) == 1 or (len(path) == 2 and path[0] == "defaults") for _, path in paths),
        entries=frozenset((id(document), path[:2]) for document, path in paths
                          if len(path) == 3 and path[0] == "numbers"),
    )


def _check_selection(entry: Placed, defaults: dict[str, Placed], missing_is_a_typo: bool) -> list[Problem]:
    """The country (stated, inherited or the pin's) and what it offers; "no country" is not said
    where an unknown key may be the country mistyped (``missing_is_a_typo``): that key is reported."""
    country, country_at = _effective(entry, defaults, "country")
    number_text = entry.value.get("number")
    number = parse_number(number_text) if isinstance(number_text, str) else None
    problems = []
    if country is None and missing_is_a_typo:
        return []
    if country is None:
        if number_text is None:
            return [entry.problem("no country: state country on the entry or in defaults, or pin a "
                                  f"number ({_COUNTRY_ALLOWED})", key=True, sub=("country",))]
        if number is None:
            return []  # the pin itself is reported
        country = _region(number_text)
        if country not in COUNTRIES:
            return [entry.problem(f"{number_text!r} belongs to no country: state the country "
                                  f"({_COUNTRY_ALLOWED})", key=True, sub=("country",))]
    elif not isinstance(country, str) or country not in COUNTRIES:
        return []  # a bad country is reported where it is written
    elif number is not None and not _in_country(number_text, country):
        region = _region(number_text)
        problems.append(
            entry.problem(f"{number_text!r} is a number of {region}, but the country is {country}"
                          f"{_inherited(entry, country_at)} (allowed: a number of {country}, or "
                          f"country: {region} on this entry)", sub=("number",))
        )
    number_type, type_at = _effective(entry, defaults, "type")
    offered_in = TYPE_COUNTRIES.get(number_type) if isinstance(number_type, str) else None
    if offered_in and country not in offered_in:
        problems.append(
            entry.problem(f"{number_type} numbers are not offered in {country}"
                          f"{_inherited(entry, type_at)} (allowed: {number_type} in {', '.join(offered_in)}; "
                          "local and mobile in any country)", key=True, sub=("type",))
        )
    return problems


@lru_cache(maxsize=4096)
def _region(text: str) -> str | None:
    """The region of the valid number ``text`` (None for an invalid one)."""
    number = parse_number(text)
    return phonenumbers.region_code_for_number(number) if number is not None else None


def _in_country(text: str, country: str) -> bool:
    if _region(text) == country:
        return True
    number = parse_number(text)
    return number is not None and phonenumbers.is_valid_number_for_region(number, country)


def _inherited(entry: Placed, placed: Placed | None) -> str:
    if placed is None or placed.path[:2] == entry.path:
        return ""
    return f" (from defaults at {placed.document.where(placed.path)})"


def _check_pinned_once(entry: Placed, pinned: dict[str, Placed]) -> list[Problem]:
    text = entry.value.get("number")
    number = parse_number(text) if isinstance(text, str) else None
    if number is None:
        return []
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    here = Placed(text, entry.document, (*entry.path, "number"))
    first = pinned.setdefault(e164, here)
    if first is here:
        return []
    return [here.problem(f"{e164} is also pinned by {first.path[1]!r} at {first.where()} "
                         "(allowed: each number pinned by one entry)")]


def _check_moved_and_removed(merged: Merged) -> list[Problem]:
    problems = []
    entries = merged.entries
    targets: dict[str, Placed] = {}
    for old, move in merged.moved.items():
        new = move.value
        if old in entries:
            problems.append(move.problem(f"{old!r} is still an entry at {entries[old].where()} "
                                         "(allowed: an old name that is no longer in numbers)", key=True))
        if isinstance(new, str) and new not in entries:
            problems.append(move.problem(f"{new!r} is not an entry (allowed: the new name of an entry in numbers)",
                                         suggestion=closest(new, entries)))
        if isinstance(new, str):
            first = targets.setdefault(new, move)
            if first is not move:
                problems.append(move.problem(f"{first.path[1]!r} at {first.where()} also moves to {new!r} "
                                             "(allowed: one old name for each new name)"))
        if old in merged.removed:
            problems.append(move.problem(f"{old!r} is also in removed at {merged.removed[old].where()} "
                                         "(allowed: a name either moved or removed)", key=True))
    for name, removal in merged.removed.items():
        if name in entries:
            problems.append(removal.problem(f"{name!r} is still an entry at {entries[name].where()} "
                                            "(allowed: a name that is no longer in numbers)", key=True))
    return problems
