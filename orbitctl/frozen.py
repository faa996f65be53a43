"""Deep-frozen JSON-like values: the data that flows from loader to planner is never mutated."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


def freeze(value: Any) -> Any:
    """Return ``value`` with every dict made a read-only mapping and every list a tuple."""
    if value is None or isinstance(value, _SCALARS):  # first: the Mapping check is slow (an ABC)
        return value
    # scalar items are kept without a call each: most items of an API record are scalars
    if isinstance(value, (list, tuple)):
        return tuple([item if item is None or isinstance(item, _SCALARS) else freeze(item) for item in value])
    if isinstance(value, _MAPPINGS):
        return MappingProxyType(
            {key: item if item is None or isinstance(item, _SCALARS) else freeze(item) for key, item in value.items()}
        )
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists, ready for JSON or deepdiff."""
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    return value


_SCALARS = (str, int, float)  # bool is an int
_MAPPINGS = (dict, MappingProxyType, Mapping)  # in this order: the Mapping ABC's check is slow
