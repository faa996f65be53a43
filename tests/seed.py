"""Put numbers on a served sandbox account by direct API calls, for end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterable

from orbitctl.account.client import OrbitClient
from tests.conftest import TEST_API_KEY


def seed_numbers(url: str, count: int, *, country: str = "US", tags: Iterable[str] = (), **config):
    """Buy ``count`` numbers of ``country`` and configure each with ``tags`` and ``config``.

    Returns the configured records, in purchase order."""
    records = []
    with OrbitClient(TEST_API_KEY, url) as client:
        while len(records) < count:
            rows = client.search_available(country, type="local", limit=500)
            assert rows, "the sandbox inventory ran dry"
            for row in rows[: count - len(records)]:
                bought = client.purchase(row.number, country_code=country, inventory_id=row.id)
                records.append(client.configure(bought.id, tags=list(tags), **config))
    return records
