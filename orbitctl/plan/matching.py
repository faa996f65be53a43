"""Does a number satisfy a Selection? One rule, shared by the planner (is the live number still
right?) and by pricing (may this inventory offer be bought?), so that a number orbitctl buys is
never one the next plan wants to replace.

- ``country`` and ``type`` must be equal; a pinned ``number`` must be exactly that E.164 number.
- ``area_code`` must be a prefix of the national significant number (E.164 minus the country
  calling code, as libphonenumber defines it: ``+14155550100`` -> ``4155550100``). An area code
  written with the country's trunk prefix (``020`` for London) matches as well.
- ``contains`` must occur in the digits of the E.164 number (calling code included).
- ``max_monthly_cost`` and ``capabilities`` never make a number unsuitable here: cost only
  filters what is bought, and capabilities are configuration kept in sync by PUT, but for the
  ones only a purchase provisions, which ``diff.unprovisioned`` checks on live numbers.
"""

from __future__ import annotations

from functools import cache

import phonenumbers

from orbitctl.model import Selection


@cache
def _calling_code_prefix(country: str) -> str:
    """``"+1"`` for US; ``""`` for a region libphonenumber does not know."""
    code = phonenumbers.country_code_for_region(country)
    return f"+{code}" if code else ""


@cache
def _trunk_prefix(country: str) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    return (metadata.national_prefix or "") if metadata is not None else ""


def national_significant_number(e164: str, country: str) -> str:
    """The national significant number of ``e164``, read as a number of ``country``."""
    prefix = _calling_code_prefix(country)
    if prefix and e164.startswith(prefix):
        return e164[len(prefix) :]
    try:
        return phonenumbers.national_significant_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return e164.lstrip("+")


def in_area_code(e164: str, country: str, area_code: str) -> bool:
    nsn = national_significant_number(e164, country)
    if nsn.startswith(area_code):
        return True
    trunk = _trunk_prefix(country)
    return bool(trunk) and area_code.startswith(trunk) and nsn.startswith(area_code[len(trunk) :])


def unmet_keys(selection: Selection, number: str, country: str, type_: str) -> list[str]:
    """Why a number does not satisfy ``selection``: one phrase per selection key that fails,
    each starting with the key (empty when it satisfies)."""
    unmet = []
    if selection.number is not None and number != selection.number:
        unmet.append(f"number is {number}, wanted {selection.number}")
    if country != selection.country:
        unmet.append(f"country is {country}, wanted {selection.country}")
    if type_ != selection.type:
        unmet.append(f"type is {type_}, wanted {selection.type}")
    if selection.area_code and not in_area_code(number, selection.country, selection.area_code):
        unmet.append(f"area_code: {number} is not in area code {selection.area_code}")
    if selection.contains and selection.contains not in number:
        unmet.append(f"contains: {number} does not contain {selection.contains}")
    return unmet
