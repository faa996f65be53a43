"""Secrets of an exported manifest as ``${VARIABLE}`` placeholders: the secret is never written.

Export writes what the account holds into a file meant to be committed. Every string value a plan
would mask (``orbitctl.values.mask_at``: tokens in webhook URLs, URL credentials, values under
secret-like keys of ``channel_config``...) is written as a placeholder instead, and the manifest
reads it back from the environment (``manifest/variables.py``); a value that is not text under a
secret key cannot come from a variable, and is left unmanaged by the caller.

Variable names are readable and deterministic: ``<STACK>_<ENTRY>_<KEY PATH>`` in upper case, every
run of other characters an ``_`` (``PROD_SUPPORT_MAIN_WEBHOOK_URL``,
``PROD_DEFAULTS_WEBHOOK_URL``, ``PROD_SMS_CHANNEL_CONFIG_WHATSAPP_API_TOKEN``). One secret used in
several places is one variable, named after its first place (defaults first, then the entries in
name order); two different secrets whose names would clash get ``_2``, ``_3``...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from orbitctl.values import SENSITIVE, format_value, is_secret_key, mask_at

#: The owner part of the name of a variable used in ``defaults``.
DEFAULTS_OWNER = "defaults"
#: How many places a description names before "and N more".
_PLACES_SHOWN = 3


@dataclass
class SecretVariable:
    """An environment variable an exported manifest reads one secret from."""

    name: str
    #: the value as plans show it, its secrets masked
    shown: str
    #: where the manifest uses it: key path (``webhook_url``, ``channel_config.sms.token``) ->
    #: the entries (or ``DEFAULTS_OWNER``) that state it there, in order
    places: dict[str, list[str]] = field(default_factory=dict)

    def describe(self) -> str:
        """``PROD_A_WEBHOOK_URL: webhook_url of entries a, b and 3 more (now "https://...?(sensitive)")``."""
        where = []
        for path, owners in self.places.items():
            if DEFAULTS_OWNER in owners:
                where.append(f"{path} in defaults")
            entries = [owner for owner in owners if owner != DEFAULTS_OWNER]
            if entries:
                shown = entries[:_PLACES_SHOWN]
                more = f" and {len(entries) - len(shown)} more" if len(entries) > len(shown) else ""
                noun = "entry" if len(entries) == 1 else "entries"
                where.append(f"{path} of {noun} {', '.join(shown)}{more}")
        return f"{self.name}: {'; '.join(where)} (now {self.shown})"


def is_masked(path: tuple, value: Any) -> bool:
    """Whether a plan would mask (part of) ``value`` found at key ``path`` of a configuration."""
    masked = mask_at(path, value)
    return masked is SENSITIVE or masked != value


def secret_non_text(path: tuple, value: Any) -> str | None:
    """The dotted path of the first value under a secret key in ``value`` that is not text (a
    number, a boolean), which no ``${VARIABLE}`` can give; None when there is none."""
    for where, leaf in _leaves(path, value):
        if not isinstance(leaf, str) and leaf is not None and any(is_secret_key(key) for key in where):
            return ".".join(map(str, where))
    return None


def _leaves(path: tuple, value: Any) -> Iterator[tuple[tuple, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves((*path, key), item)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _leaves((*path, index), item)
    else:
        yield path, value


class Placeholders:
    """The variables of one export: hides secrets in written values, remembers each variable."""

    def __init__(self, stack: str):
        self.stack = stack
        self.variables: list[SecretVariable] = []
        self._by_secret: dict[str, SecretVariable] = {}
        self._names: set[str] = set()

    def hide(self, value: Any, path: tuple, owner: str) -> Any:
        """``value``, written at key ``path`` of entry ``owner`` (or ``DEFAULTS_OWNER``), with every
        string a plan would mask replaced by ``${VARIABLE}``.

        Written strings have ``${`` escaped as ``$${`` (see ``export._escape``); a variable gives
        its value as it is, so the secret is the unescaped text."""
        if isinstance(value, Mapping):
            return {key: self.hide(item, (*path, key), owner) for key, item in value.items()}
        if isinstance(value, list):
            return [self.hide(item, (*path, index), owner) for index, item in enumerate(value)]
        if isinstance(value, str) and is_masked(path, value):
            return "${" + self._variable(value.replace("$${", "${"), path, owner) + "}"
        return value

    def _variable(self, secret: str, path: tuple, owner: str) -> str:
        variable = self._by_secret.get(secret)
        if variable is None:
            variable = SecretVariable(self._new_name(owner, path), format_value(mask_at(path, secret)))
            self._by_secret[secret] = variable
            self.variables.append(variable)
        variable.places.setdefault(".".join(map(str, path)), []).append(owner)
        return variable.name

    def _new_name(self, owner: str, path: tuple) -> str:
        base = variable_name(self.stack, owner, *path)
        name, suffix = base, 2
        while name in self._names:
            name, suffix = f"{base}_{suffix}", suffix + 1
        self._names.add(name)
        return name


def variable_name(*parts: Any) -> str:
    """``prod``, ``line-5``, ``webhook_url`` -> ``PROD_LINE_5_WEBHOOK_URL``: upper-case ASCII letters,
    digits and ``_``, never starting with a digit."""
    text = unicodedata.normalize("NFKD", "_".join(map(str, parts))).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")
    return f"_{name}" if name[:1].isdigit() else name
