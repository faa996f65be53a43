"""What a mistyped key or value most likely meant: the "did you mean" of the manifest's messages.

The choices always come from where the rule is stated (the schema's ``properties`` and ``enum``,
the countries phonenumbers knows, the entry names written), so a key or value added there is
suggested with no list to keep here. A suggestion is said right after what is wrong, before what
is allowed, as click says it for a mistyped command: ``unknown key 'labl', did you mean 'label'?
(allowed: ...)``; :class:`~orbitctl.manifest.problems.Problem` also carries it as ``suggestion``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

#: How alike a word and a choice must be (difflib's ratio) to be suggested; click uses the same.
CUTOFF = 0.6


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice ``word`` most likely meant: the same in another case (``SMS`` -> ``sms``), else
    the most alike by difflib, ignoring case; None when nothing is close or ``word`` is a choice."""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.casefold(), choice)
    folded = word.casefold()
    if folded in by_folded:
        found = by_folded[folded]
        return found if found != word else None
    close = difflib.get_close_matches(folded, by_folded, n=1, cutoff=CUTOFF)
    return by_folded[close[0]] if close else None


def mended(value: str, fits: Callable[[str], bool]) -> str | None:
    """``value`` with its spaces, case or separators mended, the first way that ``fits``:
    ``' main'`` -> ``main``, ``us`` -> ``US``, ``Support`` -> ``support``,
    ``Support Team`` -> ``support-team``; None when no way does."""
    stripped = value.strip()
    lowered = stripped.lower()
    for candidate in (
        stripped,
        lowered,
        stripped.upper(),
        re.sub(r"[\s_]+", "-", lowered),
        re.sub(r"[^a-z0-9]+", "-", lowered).strip("-"),
    ):
        if candidate != value and fits(candidate):
            return candidate
    return None


def with_suggestion(message: str, suggestion: str | None) -> str:
    """``message`` with ``, did you mean 'x'?`` after what is wrong, before its last
    ``(allowed: ...)``."""
    if suggestion is None:
        return message
    wrong, allowed, rest = message.rpartition(" (allowed: ")
    if not allowed:  # pragma: no cover - every message ends with what is allowed
        return f"{message}, did you mean {suggestion!r}?"
    return f"{wrong}, did you mean {suggestion!r}?{allowed}{rest}"
