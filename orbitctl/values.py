"""How values are written, for the renderings and apply's messages alike: masking of secrets,
formatting of values, money, deltas, selections.

Masking rules (one place, applied by the text, JSON and markdown renderings; never by the saved
plan file, which apply needs verbatim):

- Any value under a mapping key that names a secret is replaced by ``(sensitive)``, however deep
  in ``channel_config`` it sits. A key names a secret when one of its words (split at ``_``, ``-``,
  ``.``, spaces and camelCase) is one of ``SECRET_WORDS``, or when it contains one of
  ``SECRET_FRAGMENTS`` anywhere (``webhooksecret``, ``X-Api-Token``, ``oauthToken``).
- In every URL (``scheme://host...``) in a string: the user-info (``user:pass@``), the query
  string and the fragment are replaced by ``(sensitive)``, and so is any path segment that looks
  like a generated token (20+ characters of letters, digits, ``_`` or ``-`` mixing letters and
  digits, as Slack or Discord webhook URLs carry).
- ``None`` and ``""`` are shown as they are: there is no secret in "no value".

When a secret changes, the masked before and after are equal; renderings then say
``(sensitive value changed)`` so that the change stays visible.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from orbitctl.frozen import thaw
from orbitctl.model import (
    BUYING_KINDS,
    CONFIG_KEYS,
    Action,
    Availability,
    Change,
    PortIn,
    PortProgress,
    Selection,
    format_money,
)

SENSITIVE_TEXT = "(sensitive)"

#: Words that make a key secret when the key has them as a whole word.
SECRET_WORDS = frozenset(
    {
        "secret",
        "secrets",
        "token",
        "tokens",
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "pass",
        "key",
        "keys",
        "apikey",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "signature",
        "sig",
        "private",
        "bearer",
        "cookie",
        "session",
        "otp",
        "pin",
    }
)

#: Fragments that make a key secret wherever they occur in it.
SECRET_FRAGMENTS = ("secret", "token", "password", "passwd", "apikey", "api_key", "credential")

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_TOKEN_LIKE_SEGMENT = re.compile(r"^(?=.*[A-Za-z])(?=.*[0-9])[A-Za-z0-9_-]{20,}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: A lone surrogate: JSON from the API can carry one ("\ud800"), but no output can encode it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as its JSON escape (``\\ud800``), so it can be
    encoded as UTF-8; in JSON text this reads back as the same string."""
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


class Sensitive(str):
    """The placeholder for a masked value: a ``str`` (so JSON prints it), shown unquoted as text."""

    def __new__(cls) -> Sensitive:
        return super().__new__(cls, SENSITIVE_TEXT)

    def __reduce__(self):  # copy and pickle make the placeholder again
        return (Sensitive, ())


SENSITIVE = Sensitive()


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: Any) -> bool:
    """Whether a mapping key names a secret (see the module docstring)."""
    if not isinstance(key, str):
        return False
    lowered = key.lower()
    if any(fragment in lowered for fragment in SECRET_FRAGMENTS):
        return True
    return any(word.lower() in SECRET_WORDS for word in _WORD.findall(key))


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]*")


def mask_url(text: str) -> str:
    """``text`` with the secret-bearing parts of every URL in it masked; other text unchanged."""
    if "://" not in text:
        return text
    return _URL.sub(lambda match: _mask_one_url(match.group()), text)


def _mask_one_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # malformed (e.g. "https://[::1/x?k=v"): mask all past "?" or "#"
        return re.sub(r"([?#]).*", lambda match: match.group(1) + SENSITIVE_TEXT, url, count=1, flags=re.S)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{SENSITIVE_TEXT}@{netloc.rpartition('@')[2]}"
    path = parts.path.split("/")
    segments = [SENSITIVE_TEXT if _TOKEN_LIKE_SEGMENT.match(segment) else segment for segment in path]
    if netloc == parts.netloc and segments == path and not parts.query and not parts.fragment:
        return url
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            "/".join(segments),
            SENSITIVE_TEXT if parts.query else "",
            SENSITIVE_TEXT if parts.fragment else "",
        )
    )


def mask(value: Any, *, secret: bool = False) -> Any:
    """``value`` with secrets replaced by ``SENSITIVE`` (``secret``: the whole value is one)."""
    if secret and value is not None and value != "":
        return SENSITIVE
    if isinstance(value, Mapping):
        return {key: mask(item, secret=is_secret_key(key)) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(item) for item in value]
    if isinstance(value, str):
        return mask_url(value)
    return value


def mask_at(path: tuple, value: Any) -> Any:
    """Mask ``value`` found at ``path`` (keys from the top of a configuration) of a config."""
    return mask(value, secret=any(is_secret_key(key) for key in path))


# --- formatting -------------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """A JSON-like one-line rendering: strings quoted (control characters escaped), ``null``,
    ``true``, lists and mappings; a masked value is shown as ``(sensitive)`` without quotes."""
    if isinstance(value, Sensitive):
        return SENSITIVE_TEXT
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return escape_surrogates(json.dumps(value, ensure_ascii=False))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{format_value(str(k))}: {format_value(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    return format_value(str(value))


def printable(text: Any) -> str:
    """``text`` as a string with control characters (terminal escapes, newlines) and lone
    surrogates made visible."""
    return escape_surrogates(_CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text)))


def format_delta(amount: Decimal, currency: str) -> str:
    """``+1.50 USD/month``, ``-0.75 USD/month``, ``+0.00 USD/month``."""
    sign = "-" if amount < 0 else "+"
    return f"{sign}{format_money(abs(amount))} {currency}/month"


def describe_selection(selection: Selection, currency: str) -> str:
    """``any US local number, area code 415, containing 555, with sms+voice, at most 2.00
    USD/month``; a pin: ``exactly +14155550111 (US local)``."""
    if selection.number:
        head = f"exactly {selection.number} ({selection.country} {selection.type})"
    else:
        head = f"any {selection.country} {selection.type} number"
    parts = [head]
    if selection.area_code:
        parts.append(f"area code {selection.area_code}")
    if selection.contains:
        parts.append(f"containing {selection.contains}")
    if selection.capabilities:
        parts.append("with " + "+".join(selection.capabilities))
    if selection.max_monthly_cost is not None:
        parts.append(f"at most {format_money(selection.max_monthly_cost)} {currency}/month")
    return printable(", ".join(parts))


def describe_port_in(port_in: PortIn) -> str:
    """``Acme Telecom (authorised by Jo Doe, account ACC-12345, PIN from ${CARRIER_PIN})``: where
    a port action ports a number from. The PIN is only ever named by its variable."""
    details = [f"authorised by {port_in.authorization_name}"]
    if port_in.account_number is not None:
        details.append(f"account {port_in.account_number}")
    if port_in.pin_env is not None:
        details.append(f"PIN from ${{{port_in.pin_env}}}")
    return printable(f"{port_in.current_carrier} ({', '.join(details)})")


def describe_progress(progress: PortProgress) -> str:
    """``porting request port_abc123: in_progress, submitted 2026-03-08T12:00:00Z, estimated
    completion 2026-03-22T00:00:00Z``: where a port a plan waits for stands."""
    request = f"porting request {progress.port_id}" if progress.port_id else "porting request (no id: unconfirmed)"
    parts = [f"{request}: {progress.status}"]
    if progress.submitted:
        parts.append(f"submitted {progress.submitted}")
    if progress.estimated_completion:
        parts.append(f"estimated completion {progress.estimated_completion}")
    return printable(", ".join(parts))


def availability_note(note: Availability, currency: str) -> str:
    """``otp-pool buys 2000 numbers (any US local number, with sms); at least 600 are available
    now. ...``: what the plan says of a selection whose inventory its searches could not count."""
    who = " and ".join(printable(name) for name in note.names)
    return (
        f"{who} {'buys' if len(note.names) == 1 else 'buy'} {note.needed} numbers "
        f"({describe_selection(note.selection, currency)}); at least {note.found} are available now. "
        f"A search of the inventory shows at most {note.search_cap} numbers at a time, so apply "
        "searches again as it buys, and says how many are missing if the inventory runs out."
    )


# --- the changes an action shows --------------------------------------------------------------


def displayed_changes(action: Action) -> tuple[Change, ...]:
    """The changes a rendering shows for ``action``.

    Its ``changes`` when it has any; for a purchase or replace without them, its whole
    ``config`` as additions (``before`` ``None``), in ``CONFIG_KEYS`` order.
    """
    if action.changes or action.kind not in BUYING_KINDS:
        return action.changes
    order = {key: index for index, key in enumerate(CONFIG_KEYS)}
    keys = sorted(action.config, key=lambda key: (order.get(key, len(order)), key))
    return tuple(Change(key, None, action.config[key]) for key in keys)


@dataclass(frozen=True)
class Leaf:
    """One changed value inside a change, masked: ``path`` below the change's key ('' = whole)."""

    path: tuple
    before: Any
    after: Any
    #: ``+`` added, ``-`` removed, ``~`` changed (only for values inside mappings)
    sign: str
    #: the raw values differ but the masked ones do not
    hidden_change: bool


_ABSENT = object()


def _raw_leaves(before: Any, after: Any, path: tuple) -> Iterator[tuple[tuple, Any, Any]]:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys = list(before) + [key for key in after if key not in before]
        for key in keys:
            old = before.get(key, _ABSENT)
            new = after.get(key, _ABSENT)
            if old != new:
                yield from _raw_leaves(old, new, (*path, key))
        return
    yield path, before, after


def change_leaves(change: Change) -> list[Leaf]:
    """The change split into masked leaves: nested mappings (``channel_config``) key by key,
    anything else as one leaf with an empty path."""
    leaves = []
    for path, old, new in _raw_leaves(change.before, change.after, ()):
        full = (change.key, *path)
        masked_old = None if old is _ABSENT else mask_at(full, old)
        masked_new = None if new is _ABSENT else mask_at(full, new)
        sign = "+" if old is _ABSENT else "-" if new is _ABSENT else "~"
        hidden = sign == "~" and masked_old == masked_new and old != new
        leaves.append(Leaf(path, masked_old, masked_new, sign, hidden))
    return leaves


def masked_change(change: Change) -> tuple[Any, Any, bool]:
    """``(before, after, sensitive)``: the whole values masked; ``sensitive`` when masking hid
    something."""
    before = mask_at((change.key,), change.before)
    after = mask_at((change.key,), change.after)
    sensitive = before != thaw(change.before) or after != thaw(change.after)
    return before, after, sensitive
