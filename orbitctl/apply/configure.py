"""The PUT /numbers/{id} an action sends, and the read-back check of what the API returned.

Tags are always sent as the full set (the API replaces them): the user's tags (the manifest's,
or the live ones when the entry does not manage tags) plus the ownership tag, if any. The
routing keys (``agent_id``) never go in this PUT: ``routing.py`` sends them after it. Of the
capabilities, the PUT carries only those it toggles (sms, mms, voice, fax): whatsapp and rcs are
the purchase's (``purchase_capabilities``). The bodies below say what the number should hold;
``put_body`` is what is sent of one, and the read-back compares the whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from orbitctl.account.api import OrbitError
from orbitctl.apply.outcome import Mismatch
from orbitctl.frozen import thaw
from orbitctl.model import (
    CONFIGURE_CAPABILITIES,
    PURCHASE_CAPABILITIES,
    REGULATORY_HOLD,
    ROUTING_KEYS,
    SET_VALUED_KEYS,
    Action,
    ActionKind,
    Owner,
    Selection,
)
from orbitctl.plan.diff import EMPTY_MEANS_NONE

#: What a number bought in regulatory hold must not be sent: the API decides when it is active.
_HELD_SKIP_KEYS = frozenset({"status"})

_ABSENT = object()


def full_tags(user_tags: Iterable[str], ownership: str | None) -> list[str]:
    """The tag set to send: the user's tags, then the ownership tag; duplicates dropped."""
    tags = list(dict.fromkeys(user_tags))
    if ownership and ownership not in tags:
        tags.append(ownership)
    return tags


def strip_stack_tags(tags: Iterable[str], stack: str) -> list[str]:
    """``tags`` without any ownership tag of ``stack`` (a number moving within or out of it)."""
    kept = []
    for tag in tags:
        owner = Owner.from_tag(tag)
        if owner is None or owner.stack != stack:
            kept.append(tag)
    return kept


def new_number_body(action: Action, *, held: bool = False) -> dict[str, Any]:
    """The PUT for a number just bought (purchase or replace): the whole configuration + tag."""
    body = {key: thaw(value) for key, value in action.config.items() if key not in ROUTING_KEYS}
    body["tags"] = full_tags(body.get("tags") or (), action.tag)
    if held:
        for key in _HELD_SKIP_KEYS:
            body.pop(key, None)
    return body


def purchase_capabilities(selection: Selection) -> list[str]:
    """What a purchase for ``selection`` asks to provision: its capabilities a purchase can set
    (sms, voice, whatsapp, rcs); mms and fax come with the line or not, and the PUT toggles them."""
    return [c for c in selection.capabilities if c in PURCHASE_CAPABILITIES]


def put_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """What the configure PUT carries of ``body``: all of it, but only the capabilities the PUT
    toggles (sms, mms, voice, fax)."""
    sent = dict(body)
    if "capabilities" in sent:
        sent["capabilities"] = [c for c in sent["capabilities"] or () if c in CONFIGURE_CAPABILITIES]
    return sent


def rewrites_tags(action: Action) -> bool:
    """Whether the PUT for ``action`` rewrites the number's tags, and so who owns it: adopt, move,
    orphan, or a change of the user tags."""
    if action.kind in (ActionKind.ADOPT, ActionKind.MOVE, ActionKind.ORPHAN):
        return True
    return any(change.key == "tags" for change in action.changes)


def existing_number_body(action: Action, *, stack: str, live_tags: Iterable[str] | None) -> dict[str, Any]:
    """The PUT for adopt, update, move and orphan.

    ``live_tags``: the number's tags as the API holds them (needed for adopt, move and orphan
    when the action does not state the user tags).
    """
    if action.kind is ActionKind.ORPHAN:
        return {"tags": strip_stack_tags(live_tags or (), stack)}
    body = {change.key: thaw(change.after) for change in action.changes if change.key not in ROUTING_KEYS}
    if "tags" in body:
        body["tags"] = full_tags(body["tags"] or (), action.tag)
    elif action.kind in (ActionKind.ADOPT, ActionKind.MOVE):
        body["tags"] = full_tags(strip_stack_tags(live_tags or (), stack), action.tag)
    return body


# --- read-back --------------------------------------------------------------------------------


def _returned(key: str, record: Mapping[str, Any]) -> Any:
    """The value of ``key`` in what the API returned, or ``_ABSENT``."""
    if key == "webhook_url":
        if "webhook_url" in record:
            return record["webhook_url"]
        if "sms_webhook_url" in record or "voice_webhook_url" in record:
            sms = record.get("sms_webhook_url") or None
            voice = record.get("voice_webhook_url") or None
            return sms if sms == voice else {"sms": sms, "voice": voice}
        return _ABSENT
    return record.get(key, _ABSENT)


def _normal(key: str, value: Any) -> Any:
    value = thaw(value)
    if key in SET_VALUED_KEYS:
        return sorted(set(value or ()))
    if key in EMPTY_MEANS_NONE and value in ("", None):
        return None
    if key == "channel_config":
        return value or None
    return value


def missing_keys(asked: Mapping[str, Any], returned: Mapping[str, Any]) -> list[str]:
    """Keys asked for that the response does not carry (read them back with a GET)."""
    return [key for key in asked if _returned(key, returned) is _ABSENT]


def read_back(asked: Mapping[str, Any], returned: Mapping[str, Any]) -> tuple[Mismatch, ...]:
    """Every asked key whose returned value differs (sets compared as sets, "" and null alike
    for cleared values). A key absent from ``returned`` is a mismatch: it could not be checked."""
    mismatches = []
    for key, value in asked.items():
        got = _returned(key, returned)
        if got is _ABSENT:
            mismatches.append(Mismatch(key, thaw(value), None))
        elif _normal(key, value) != _normal(key, got):
            mismatches.append(Mismatch(key, thaw(value), thaw(got)))
    return tuple(mismatches)


def check_returned(client: Any, number_id: str, asked: Mapping[str, Any], returned: Any) -> tuple[Mismatch, ...]:
    """Read-back: compare what a request returned (``returned.fields``: a NumberRecord or a
    RoutingRecord) with what was ``asked``; keys the response lacks are read with a GET of the
    number."""
    fields = dict(returned.fields)
    if missing_keys(asked, fields):
        with contextlib.suppress(OrbitError):  # still missing: read_back reports them as not taken
            fields.update(client.get_number(number_id).fields)
    return read_back(asked, fields)


def is_held(record: Mapping[str, Any]) -> bool:
    return record.get("status") == REGULATORY_HOLD
