"""After the purchases: did another apply of this stack buy at the same time?

The API has no lock and no conditional write, so two applies of one stack from two checkouts (a
laptop and CI) can each see an entry short of numbers and each buy them. That cannot be
prevented; it is detected: once this apply has bought, the account is read again, cheaply (one
listing; the detail only of numbers this reading had not seen or this apply changed, except
those it bought and saw take their ownership tag: its own PUT told it so), planned
again, and every number the new plan would release from an entry of the manifest is a surplus
(this apply's plan left each entry with exactly what it wants). A concurrent apply that has not
tagged its numbers yet when this one reads is not seen; it sees this one's, as it reads after its
own purchases, so of two applies racing the last to read reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from orbitctl.account.api import DEFAULT_PARALLELISM, LIST_PAGE_MAX, NotFoundError, NumberRecord
from orbitctl.account.observe import live_number
from orbitctl.apply.outcome import ApplyResult
from orbitctl.errors import OrbitctlError
from orbitctl.model import BUYING_KINDS, Action, ActionKind, Desired, Live, LiveNumber, Owner
from orbitctl.plan import planner


def reread(
    client: Any,
    live: Live,
    changed: set[str],
    *,
    tagged: Mapping[str, str] | None = None,
    parallelism: int = DEFAULT_PARALLELISM,
) -> Live:
    """The account now: ``live`` (an earlier reading) brought up to date by one listing, fetching
    the detail only of the numbers ``live`` lacks, of those in ``changed`` (ids), and of those it
    saw untagged that were bought within ``RECENT`` of the newest (another apply may have tagged
    them since: the numbers it bought while this one planned). ``tagged`` maps ids of numbers
    this apply bought, and saw its PUT give their ownership tag, to that tag: they are taken from
    the listing with that tag, not read again (a pool of 2,000 would cost 2,000 requests)."""
    tagged = tagged or {}
    known = {number.id: number for number in live.numbers}
    listed = list({record.id: record for record in client.iter_numbers(page_size=LIST_PAGE_MAX)}.values())
    position = {record.id: index for index, record in enumerate(listed)}
    newest = max((_created(record.get("created_at")) for record in listed), default=None)
    recent = newest - RECENT if newest is not None else None

    def stale(record: NumberRecord) -> bool:
        if record.id in tagged:
            return False
        number = known.get(record.id)
        if number is None or record.id in changed:
            return True
        return number.owner is None and (recent is None or _created(number.created_at) >= recent)

    def as_known(record: NumberRecord) -> LiveNumber:
        if record.id in tagged:  # the listing's fields (all the planner ranks members by), and the tag
            tag = tagged[record.id]
            return replace(live_number(record, position[record.id]), owner=Owner.from_tag(tag), raw_tags=(tag,))
        return replace(known[record.id], position=position[record.id])

    numbers = [as_known(record) for record in listed if not stale(record)]
    fetch = [record for record in listed if stale(record)]

    def detail(record: NumberRecord) -> LiveNumber | None:
        try:
            return live_number(client.get_number(record.id), position[record.id])
        except NotFoundError:
            return None  # released meanwhile

    if fetch:
        with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(fetch)))) as pool:
            numbers.extend(number for number in pool.map(detail, fetch) if number is not None)
    return Live(numbers=tuple(sorted(numbers, key=lambda number: number.id)))


#: Untagged numbers bought this long before the account's newest are read again (by the API's
#: clock, so that a client's clock set wrong does not matter).
RECENT = timedelta(hours=1)


def _created(value: Any) -> datetime:
    """A ``created_at`` as a time; one that cannot be read counts as the newest (read again)."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.max.replace(tzinfo=UTC)


def find_surplus(
    client: Any,
    desired: Desired,
    live: Live,
    result: ApplyResult,
    *,
    journal: Any = None,
    account: str | None = None,
    parallelism: int = DEFAULT_PARALLELISM,
) -> tuple[Action, ...]:
    """The numbers of the manifest's entries beyond what each wants, after ``result`` was carried
    out on the account ``live`` showed: the releases a plan made now would list for them (the
    newest members, as the planner ranks them). Releases ``result`` already tried are left out
    (their failure is reported); numbers ``journal`` holds untagged count as adopted, as in any
    plan. Only looked for when ``result`` bought something."""
    bought = [outcome for outcome in result.outcomes if outcome.ok and outcome.action.kind in BUYING_KINDS]
    if not bought:
        return ()
    changed = {outcome.id for outcome in result.outcomes if outcome.id} | {
        outcome.released_id for outcome in result.outcomes if outcome.released_id
    }
    tried = {outcome.action.id for outcome in result.outcomes if outcome.action.kind is ActionKind.RELEASE}
    # bought, and tagged as asked (an outcome is OK only once the PUT's answer shows the tag)
    tagged = {outcome.id: outcome.action.tag for outcome in bought if outcome.id and outcome.action.tag}
    now = reread(client, live, changed, tagged=tagged, parallelism=parallelism)
    try:
        pending = journal.pending(desired.stack, now, account) if journal is not None else {}
        again = planner.plan(desired, now, journal=pending)
    except OrbitctlError:
        return ()  # the plan itself is refused now: the next plan says why
    return tuple(
        action
        for action in again.actions
        if action.kind is ActionKind.RELEASE and action.name in desired.entries and action.id not in tried
    )

