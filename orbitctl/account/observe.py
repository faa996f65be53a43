"""Read the account: every number, then the detail of each in parallel -> Live.

List items lack tags, webhooks and the agent, so each number's detail is fetched (bounded by
``parallelism``), except where the list item already carries every field the plan compares
(``agent_id`` included: a list that shows the rest but not the agent still needs the detail).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from queue import SimpleQueue
from typing import Any, Protocol

from orbitctl.account.api import DEFAULT_PARALLELISM, LIST_PAGE_MAX, NotFoundError, NumberRecord
from orbitctl.frozen import freeze
from orbitctl.model import DEFAULT_CURRENCY, Live, LiveNumber, Owner

#: Fields a record must carry for the plan to compare it without fetching the detail.
COMPARED_FIELDS = frozenset(
    {
        "label",
        "status",
        "capabilities",
        "tags",
        "sms_webhook_url",
        "voice_webhook_url",
        "forwarding_number",
        "sms_forwarding",
        "compliance_profile_id",
        "channel_config",
        "agent_id",
    }
)

#: Live values that mean "none": normalised to what the manifest writes for none.
_EMPTY_STRING_KEYS = ("forwarding_number", "sms_forwarding")
_NULLABLE_KEYS = ("compliance_profile_id", "agent_id")


class NumberSource(Protocol):
    """What observation needs of the client."""

    def iter_numbers(self, *, page_size: int = ...) -> Iterable[NumberRecord]: ...

    def get_number(self, number_id: str) -> NumberRecord: ...


def observe(
    client: NumberSource,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    on_progress: Callable[[int, int], None] | None = None,
) -> Live:
    """Every number of the account with its full configuration, each knowing its place in the
    account's listing (``LiveNumber.position``). A number listed twice is kept once; one released
    between the listing and its detail call is left out: it is no longer on the account.

    ``on_progress(done, total)`` is called as details arrive, once the listing is complete.

    Details are fetched while the listing goes on: a page's numbers are asked for as soon as the
    page arrives, so the list's round trips overlap the details' instead of coming first."""
    position: dict[str, int] = {}
    records: list[NumberRecord] = []
    details = _Details(client, max(1, parallelism))
    try:
        for record in client.iter_numbers(page_size=LIST_PAGE_MAX):
            if record.id in position:  # listed twice (pages shifting under the cursor): one number
                continue
            position[record.id] = len(position)
            if record.fields.keys() >= COMPARED_FIELDS:
                records.append(record)
            else:
                details.ask(record.id)
        for done, fetched in enumerate(details.answers(), start=1):
            if fetched is not None:
                records.append(fetched)
            if on_progress:
                on_progress(done, details.asked)
    finally:
        details.stop()  # start nothing more; let what runs finish
    numbers = sorted((live_number(record, position[record.id]) for record in records), key=lambda n: n.id)
    return Live(numbers=tuple(numbers))


class _Details:
    """Numbers' details fetched by ``parallelism`` threads, as they are asked for.

    Plain threads and two queues rather than a ThreadPoolExecutor: its future per request (a
    condition, a lock, a callback list) was a fifth of observing's CPU under cProfile."""

    def __init__(self, client: NumberSource, parallelism: int):
        self._client = client
        self._parallelism = parallelism
        self._asks: SimpleQueue[str | None] = SimpleQueue()
        self._answers: SimpleQueue[tuple[NumberRecord | None, BaseException | None]] = SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self.asked = 0

    def ask(self, number_id: str) -> None:
        if len(self._threads) < self._parallelism:  # started as needed, as the executor would
            thread = threading.Thread(target=self._work, name=f"observe-{len(self._threads)}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._asks.put(number_id)
        self.asked += 1

    def answers(self) -> Iterator[NumberRecord | None]:
        """Each detail asked for, in the order they arrive (None: released meanwhile); the first
        failure is raised."""
        for _ in range(self.asked):
            fetched, failure = self._answers.get()
            if failure is not None:
                raise failure
            yield fetched

    def stop(self) -> None:
        """Skip what has not started, and wait for what has."""
        self._stopping = True
        for _ in self._threads:
            self._asks.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        while (number_id := self._asks.get()) is not None:
            if self._stopping:
                continue
            try:
                self._answers.put((self._client.get_number(number_id), None))
            except NotFoundError:
                self._answers.put((None, None))
            except BaseException as failure:
                self._answers.put((None, failure))


def live_number(record: NumberRecord, position: int = 0) -> LiveNumber:
    """One API record -> LiveNumber: ownership tag parsed, configuration normalised.

    ``position``: the record's place in the account's listing."""
    fields = record.fields
    raw_tags = tuple(fields.get("tags") or ())
    owner, user_tags = split_ownership(raw_tags)
    config: dict[str, Any] = {}
    for key in ("label", "status", "channel_config"):
        if key in fields:
            config[key] = fields[key]
    if "capabilities" in fields:
        config["capabilities"] = tuple(fields["capabilities"] or ())
    if "tags" in fields:
        config["tags"] = user_tags
    for key in _EMPTY_STRING_KEYS:
        if key in fields:
            config[key] = fields[key] or ""
    for key in _NULLABLE_KEYS:
        if key in fields:
            config[key] = fields[key] or None
    webhook = _webhook(fields)
    if webhook is not _ABSENT:
        config["webhook_url"] = webhook
    return LiveNumber(
        id=record.id,
        number=record.number,
        country=fields.get("country", ""),
        type=fields.get("type", ""),
        status=fields.get("status", ""),
        monthly_cost=_decimal(fields.get("monthly_cost")),
        currency=fields.get("currency", DEFAULT_CURRENCY),
        created_at=fields.get("created_at", ""),
        config=freeze(config),
        owner=owner,
        raw_tags=raw_tags,
        position=position,
    )


def split_ownership(tags: Iterable[str]) -> tuple[Owner | None, tuple[str, ...]]:
    """The first ownership tag parsed, and every other tag as the user's."""
    owner, user_tags = None, []
    for tag in tags:
        parsed = Owner.from_tag(tag)
        if parsed is not None and owner is None:
            owner = parsed
        else:
            user_tags.append(tag)
    return owner, tuple(user_tags)


_ABSENT = object()


def _webhook(fields: Mapping[str, Any]) -> Any:
    """The common SMS/voice webhook; a mapping of both when they differ (never equals a URL)."""
    if "sms_webhook_url" in fields or "voice_webhook_url" in fields:
        sms = fields.get("sms_webhook_url") or None
        voice = fields.get("voice_webhook_url") or None
        return sms if sms == voice else {"sms": sms, "voice": voice}
    if "webhook_url" in fields:
        return fields["webhook_url"] or None
    return _ABSENT


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal("0")
    except InvalidOperation:
        return Decimal("0")
