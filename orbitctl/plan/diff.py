"""Per-key comparison of an entry's stated configuration with a live number's.

- Only keys the entry states are managed; keys in ``lifecycle.ignore_changes`` are skipped.
- ``tags`` (user tags; the ownership tag is never among them) and ``capabilities`` compare as
  sets: order and repeats make no difference.
- ``None`` and ``""`` are the same for ``forwarding_number``, ``sms_forwarding``,
  ``webhook_url``, ``compliance_profile_id`` and ``agent_id``; ``None`` and ``{}`` for ``channel_config``,
  which otherwise compares as a whole nested value (the API replaces it whole).
- A stated key missing from the live configuration (not observed) counts as differing, with
  ``before`` None.
- ``status`` is live's ``config["status"]``, else ``LiveNumber.status``; a number in
  ``regulatory_hold`` gets no ``status`` change (the hold is the API's, not to be fought).
- ``capabilities`` that only a purchase provisions (whatsapp, rcs) cannot be changed by any
  request: ``unprovisioned`` names each the live number lacks or has against the entry's stated
  (and not ignored) capabilities, and the planner treats those as a selection that no longer holds.
"""

from __future__ import annotations

from typing import Any

from orbitctl.frozen import freeze, thaw
from orbitctl.model import (
    CONFIG_KEYS,
    PURCHASE_ONLY_CAPABILITIES,
    REGULATORY_HOLD,
    SET_VALUED_KEYS,
    Change,
    DesiredEntry,
    LiveNumber,
)

#: Keys whose "none" may be written ``None`` or ``""``.
EMPTY_MEANS_NONE = frozenset(
    {"forwarding_number", "sms_forwarding", "webhook_url", "compliance_profile_id", "agent_id"}
)

_MISSING = object()


def normalised(key: str, value: Any) -> Any:
    """``value`` in the form in which two values of ``key`` compare equal when they mean the same."""
    if key in SET_VALUED_KEYS:
        return frozenset(value or ())
    if key in EMPTY_MEANS_NONE:
        return None if value is None or value == "" else thaw(value)
    if key == "channel_config":
        return thaw(value) or None
    return thaw(value)


def live_value(live: LiveNumber, key: str) -> Any:
    """The observed value of ``key`` on ``live``, or ``_MISSING`` when it was not observed."""
    value = live.config.get(key, _MISSING)
    if value is _MISSING and key == "status" and live.status:
        return live.status
    return value


def config_changes(entry: DesiredEntry, live: LiveNumber) -> tuple[Change, ...]:
    """The stated, not ignored configuration keys whose live value differs, in CONFIG_KEYS order."""
    stated = entry.config
    ignored = entry.lifecycle.ignore_changes
    changes = []
    for key in CONFIG_KEYS:
        if key not in stated or key in ignored:
            continue
        wanted = stated[key]
        current = live_value(live, key)
        if current == wanted:
            continue
        if key == "status" and live.status == REGULATORY_HOLD:
            continue
        if current is not _MISSING and normalised(key, current) == normalised(key, wanted):
            continue
        before = None if current is _MISSING else freeze(current)
        changes.append(Change(key=key, before=before, after=freeze(wanted)))
    return tuple(changes)


def unprovisioned(entry: DesiredEntry, live: LiveNumber) -> list[str]:
    """Why no request can bring ``live``'s capabilities to the entry's: one phrase for the
    capabilities only a purchase provisions that it lacks, one for those it has that the entry
    leaves out. Empty when capabilities are not stated, ignored, or not observed live."""
    stated = entry.config.get("capabilities")
    observed = live.config.get("capabilities")
    if stated is None or observed is None or "capabilities" in entry.lifecycle.ignore_changes:
        return []
    wanted = [c for c in PURCHASE_ONLY_CAPABILITIES if c in stated]
    have = [c for c in PURCHASE_ONLY_CAPABILITIES if c in observed]
    phrases = []
    lacking = [c for c in wanted if c not in have]
    if lacking:
        phrases.append(
            f"capabilities: {live.number} lacks {', '.join(lacking)}, which only a purchase provisions"
        )
    extra = [c for c in have if c not in wanted]
    if extra:
        phrases.append(
            f"capabilities: {live.number} has {', '.join(extra)}, which the entry leaves out and no "
            "request removes"
        )
    return phrases


def user_tags_after(entry: DesiredEntry, live: LiveNumber) -> tuple[str, ...] | None:
    """The user tags ``live`` carries once configured for ``entry``: the stated tags when tags
    are managed, else the live ones (``None`` when not observed)."""
    if "tags" in entry.config and "tags" not in entry.lifecycle.ignore_changes:
        return tuple(entry.config["tags"])
    tags = live.config.get("tags")
    return None if tags is None else tuple(tags)
