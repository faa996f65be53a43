"""Search the Orbit inventory for what a Selection asks: API rows -> Offers."""

from __future__ import annotations

from typing import Any, Protocol

import phonenumbers

from orbitctl.account.api import SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, AvailableNumber
from orbitctl.model import Offer, Selection

#: The capabilities the search filters by (the API page: sms, voice, mms, whatsapp). Any other
#: capability an entry asks for (fax) is not sent, and is checked on the rows instead
#: (``pricing.candidates``).
SEARCHABLE_CAPABILITIES = ("sms", "voice", "mms", "whatsapp")


class InventorySource(Protocol):
    def search_available(self, country: str, **filters: Any) -> list[AvailableNumber]: ...


def search_limit(wanted: int) -> int:
    """Ask for twice what is wanted (others may buy meanwhile), within the API's bounds."""
    return max(SEARCH_LIMIT_DEFAULT, min(SEARCH_LIMIT_MAX, 2 * wanted))


def search_offers(client: InventorySource, selection: Selection, *, wanted: int = 1) -> list[Offer]:
    """The inventory rows matching ``selection`` (a pin is searched by its national digits; only
    searchable capabilities are sent)."""
    contains = selection.contains
    area_code = selection.area_code
    if selection.number:
        contains = str(phonenumbers.parse(selection.number).national_number)
        area_code = None
    rows = client.search_available(
        selection.country,
        type=selection.type,
        capabilities=tuple(c for c in selection.capabilities if c in SEARCHABLE_CAPABILITIES),
        area_code=area_code,
        contains=contains,
        limit=search_limit(wanted),
    )
    return [offer_from_row(row) for row in rows]


def offer_from_row(row: AvailableNumber) -> Offer:
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
