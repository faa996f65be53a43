"""Search the Orbit inventory for what a Selection asks: API rows -> Offers.

One search shows at most ``api.SEARCH_LIMIT_MAX`` (500) rows and has no cursor, so a pool larger
than that is looked for with several searches (``survey``). A search that came back full (as many
rows as it asked for) may hide more, and is narrowed where the selection allows:

- with no area code: one search per area code read from the rows it showed (a way to find more,
  not a proof that nothing is left: area codes it did not show may hold numbers too);
- with an area code and no ``contains``: ``contains`` = the area code and one more digit, each of
  the ten digits (every number of the area code begins so, so these ten together show all of it);
- with ``contains``: one more digit after it, or before it when it is the selection's own (which
  may sit anywhere in the number).

Narrower searches come before the rest (depth first), the likeliest first: those matching the
last row a full search showed, then those matching none of its rows, then the others. An API that
lists numbers in order (as the sandbox does) shows the lowest ones, so what it did not show lies
after its last row. The searches stop once enough numbers are found, when nothing is left to
narrow, or after ``search_budget`` searches. ``Survey.complete`` says whether they saw every number the inventory
holds for the selection: only then is a shortage certain. Each search asks for at most
``search_cap()`` rows, the API's cap (a test lowers it together with the sandbox's
``search_limit`` knob: a search cut short below what it asked for would look complete).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import phonenumbers

from orbitctl.account import api
from orbitctl.model import Offer, Selection, Survey

#: The capabilities the search filters by (the API page: sms, voice, mms, whatsapp). Any other
#: capability an entry asks for (fax, rcs) is not sent, and is checked on the rows instead
#: (``pricing.candidates``).
SEARCHABLE_CAPABILITIES = ("sms", "voice", "mms", "whatsapp")

#: The longest ``contains`` the API takes (digits).
CONTAINS_MAX_DIGITS = 15

#: Searches a survey may make beyond two for each full page it needs.
EXTRA_SEARCHES = 8

DIGITS = "0123456789"


class InventorySource(Protocol):
    def search_available(self, country: str, **filters: Any) -> list[api.AvailableNumber]: ...


def search_cap() -> int:
    """The most rows one search shows: the API's cap. Read through this module by every caller,
    so that a test can lower it."""
    return api.SEARCH_LIMIT_MAX


def search_limit(wanted: int) -> int:
    """Ask for twice what is wanted (others may buy meanwhile), within the API's bounds."""
    cap = search_cap()
    return min(cap, max(api.SEARCH_LIMIT_DEFAULT, 2 * wanted))


def search_budget(wanted: int) -> int:
    """How many searches a survey for ``wanted`` numbers may make."""
    return 2 * math.ceil(wanted / search_cap()) + EXTRA_SEARCHES


@dataclass(frozen=True)
class _Query:
    area_code: str | None
    contains: str | None
    #: ``contains`` is the area code and the digits after it: it begins the national number, so
    #: only digits after it narrow it
    anchored: bool = False


def survey(
    client: InventorySource,
    selection: Selection,
    *,
    wanted: int = 1,
    enough: int | None = None,
    keep: Callable[[Offer], bool] = lambda offer: True,
    exclude: Collection[str] = frozenset(),
    parallelism: int = 1,
) -> Survey:
    """Search until ``wanted`` rows that ``keep`` accepts are found (numbers in ``exclude`` do not
    count and are left out), or ``enough`` of them, narrowing full searches as the module says;
    up to ``parallelism`` searches at once. Each search asks for twice ``wanted`` rows, within the
    cap. A pin is searched by its national digits; only searchable capabilities are
    sent. Raises OrbitError when a search fails."""
    limit = search_limit(wanted)
    budget = search_budget(wanted)
    found: dict[str, Offer] = {}
    enough = wanted if enough is None else min(enough, wanted)
    kept = searches = blind = 0  # blind: full searches that no narrower ones cover
    if selection.number:
        pending = [_Query(None, phonenumbers.national_significant_number(phonenumbers.parse(selection.number)))]
    else:
        pending = [_Query(selection.area_code, selection.contains)]
    asked = set(pending)

    def search(query: _Query) -> list[Offer]:
        return _search(client, selection, query, limit)

    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        while pending and kept < enough and searches < budget:
            size = min(budget - searches, max(1, parallelism))
            batch, pending = pending[:size], pending[size:]
            searches += len(batch)
            full = []  # the searches that may hide more
            for query, offers in zip(batch, pool.map(search, batch), strict=True):
                for offer in offers:
                    if offer.number not in found and offer.number not in exclude:
                        found[offer.number] = offer
                        kept += keep(offer)
                if len(offers) >= limit:
                    full.append((query, offers))
            for query, offers in full:
                if kept >= enough or searches >= budget or selection.number:
                    blind += 1  # not narrowed: the survey ends here
                    continue
                narrower, covers = _narrower(query, offers)
                blind += not covers
                fresh = [child for child in narrower if child not in asked]
                asked.update(fresh)
                pending[:0] = _likeliest_first(fresh, offers)
    return Survey(
        tuple(found.values()), complete=not blind and not pending, searches=searches, ended_at=time.monotonic()
    )


def _narrower(query: _Query, offers: Sequence[Offer]) -> tuple[list[_Query], bool]:
    """Searches that may show what the full ``query`` did not, and whether together they show
    everything it matches."""
    if query.area_code is None:
        areas = dict.fromkeys(code for code in map(_area_code, (offer.number for offer in offers)) if code)
        return [_Query(area, query.contains) for area in areas], False
    if query.contains is None:
        area = query.area_code
        if not all(_national(offer.number).startswith(area) for offer in offers):
            return [], False  # the API's area codes are not the numbers' leading digits
        return [_Query(query.area_code, area + digit, anchored=True) for digit in DIGITS], True
    if len(query.contains) >= CONTAINS_MAX_DIGITS:
        return [], False
    longer = [query.contains + digit for digit in DIGITS]
    if not query.anchored:
        longer += [digit + query.contains for digit in DIGITS]
    return [_Query(query.area_code, contains, query.anchored) for contains in longer], True


def _likeliest_first(queries: list[_Query], offers: Sequence[Offer]) -> list[_Query]:
    """``queries`` (narrower than a full search that showed ``offers``) in the order to try them:
    those matching its last row, then those matching none of its rows, then the others."""
    shown = [offer.number.lstrip("+") for offer in offers]

    def rank(query: _Query) -> int:
        def matches(digits: str) -> bool:
            if query.contains is not None:
                return query.contains in digits
            return _area_code("+" + digits) == query.area_code

        if matches(shown[-1]):
            return 0
        return 2 if any(matches(digits) for digits in shown) else 1

    return sorted(queries, key=rank)


def _search(client: InventorySource, selection: Selection, query: _Query, limit: int) -> list[Offer]:
    rows = client.search_available(
        selection.country,
        type=selection.type,
        capabilities=tuple(c for c in selection.capabilities if c in SEARCHABLE_CAPABILITIES),
        area_code=query.area_code,
        contains=query.contains,
        limit=limit,
    )
    return [offer_from_row(row) for row in rows]


@functools.lru_cache(maxsize=1 << 16)  # a survey reads each number's digits several times
def _national(number: str) -> str:
    """The national significant number of an E.164 ``number`` (a short code as it is)."""
    if not number.startswith("+"):
        return number
    try:
        return phonenumbers.national_significant_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return number.lstrip("+")


@functools.lru_cache(maxsize=1 << 16)
def _area_code(number: str) -> str | None:
    """The geographic area code of ``number`` (``415`` of ``+14155550100``), or None."""
    if not number.startswith("+"):
        return None
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return None
    length = phonenumbers.length_of_geographical_area_code(parsed)
    return phonenumbers.national_significant_number(parsed)[:length] if length else None


def offer_from_row(row: api.AvailableNumber) -> Offer:
    return Offer(
        number=row.number,
        country=row.country,
        type=row.type,
        capabilities=tuple(row.capabilities),
        monthly_cost=row.monthly_cost,
        currency=row.currency,
        region=row.region,
        inventory_id=row.id,
        placeholder=row.placeholder,
    )
