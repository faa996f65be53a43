"""Porting requests: what is kept, and how their status moves on with (simulated) time.

A request is ``pending`` for its first day, ``in_progress`` after that, and ``completed`` from its
``estimated_completion``: midnight UTC ``completion_days`` (fourteen unless the ``port_days`` knob
says otherwise) after the day it was made (the page's example: made 2026-03-08T12:00:00Z, done
2026-03-22T00:00:00Z); with ``port_days=0`` it is completed the moment it is made. When it
completes, its numbers join the account as active local/mobile/toll-free numbers, as if the
``number.ported`` event had arrived.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder

from orbitctl.sandbox import countries
from orbitctl.sandbox.inventory import monthly_cost
from orbitctl.sandbox.records import new_record

PENDING_FOR = timedelta(days=1)
COMPLETION_DAYS = 14


def iso(moment: datetime) -> str:
    """``2026-03-08T12:00:00Z``: the API's timestamp format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def new_port(port_id: str, numbers: tuple[str, ...], carrier: str, authorization_name: str,
             account_number: str | None, now: datetime, completion_days: int = COMPLETION_DAYS) -> dict:
    """The stored request. The PIN is never kept."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    done = day + timedelta(days=completion_days) if completion_days else now
    return {
        "id": port_id,
        "numbers": list(numbers),
        "current_carrier": carrier,
        "authorization_name": authorization_name,
        "account_number": account_number,
        "created_at": iso(now),
        "estimated_completion": iso(done),
        "_applied": False,
    }


def status_at(port: dict, now: datetime) -> str:
    if iso(now) >= port["estimated_completion"]:
        return "completed"
    if now - parse_iso(port["created_at"]) >= PENDING_FOR:
        return "in_progress"
    return "pending"


def view(port: dict, now: datetime) -> dict:
    """The API's shape of a porting request."""
    return {
        "id": port["id"],
        "numbers": list(port["numbers"]),
        "status": status_at(port, now),
        "estimated_completion": port["estimated_completion"],
        "created_at": port["created_at"],
    }


def due(porting: dict[str, dict], now: datetime) -> list[dict]:
    """Completed requests whose numbers have not joined the account yet."""
    stamp = iso(now)
    return [p for p in porting.values() if not p.get("_applied") and stamp >= p["estimated_completion"]]


def ported_record(number: str, number_id: str, at: str) -> dict:
    """The account record of a number that finished porting in."""
    parsed = phonenumbers.parse(number, None)
    country = phonenumbers.region_code_for_number(parsed) or "US"
    kind = phonenumbers.number_type(parsed)
    number_type = {PhoneNumberType.MOBILE: "mobile", PhoneNumberType.TOLL_FREE: "toll_free"}.get(kind, "local")
    if number_type not in countries.types_offered(country):
        number_type = "local" if country in countries.LOCAL else number_type
    try:
        cost = monthly_cost(country, number_type, number)
    except KeyError:
        cost = "1.00"
    capabilities = countries.capabilities_for(country, number_type)
    return new_record(
        number_id=number_id,
        number=number,
        country=country,
        number_type=number_type,
        region=geocoder.description_for_number(parsed, "en") or None,
        capabilities=capabilities,
        status="active",
        monthly_cost=cost,
        at=at,
    )
