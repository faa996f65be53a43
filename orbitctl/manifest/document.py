"""One manifest file as loaded: plain data plus where each value was written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orbitctl.manifest.problems import Problem
from orbitctl.manifest.suggest import with_suggestion
from orbitctl.model import SourceMark

#: A place in the data: mapping keys and list indexes from the top, e.g. ("numbers", "a", "tags", 0).
KeyPath = tuple[str | int, ...]


def format_path(path: KeyPath) -> str:
    """``("numbers", "a", "tags", 2)`` -> ``numbers.a.tags[2]``; a key with a line break or other
    unprintable character is quoted and escaped (``numbers.'a\\n'``), so a message stays one line."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = part if part.isprintable() else repr(part)
            text += f".{shown}" if text else shown
    return text


@dataclass
class Document:
    """A file's data (plain dicts, lists, str, int, float, bool, None) and its marks.

    ``marks`` holds, for every path, where an error about that value is best shown: the key's
    position for a mapping or list value (``support-main:``), the value's own for a scalar.
    ``key_marks`` holds the key's position for every mapping member. ``unknown_keys`` holds the
    paths of the keys the schema check found unknown: a later check does not report what only
    follows from such a key (a misspelled ``country`` is not also "no country").
    """

    file: str
    data: Any = None
    marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    unknown_keys: set[KeyPath] = field(default_factory=set)

    def mark(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) for ``path``, or for its nearest ancestor that was written."""
        table = self.key_marks if key else self.marks
        while path:
            if path in table:
                return table[path]
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return self.marks.get((), (1, 1))

    def problem(self, path: KeyPath, message: str, *, key: bool = False, suggestion: str | None = None) -> Problem:
        """A problem at ``path``; a ``suggestion`` is said in the message too."""
        line, column = self.mark(path, key=key)
        return Problem(self.file, line, column, format_path(path), with_suggestion(message, suggestion), suggestion)

    def source_mark(self, path: KeyPath) -> SourceMark:
        line, column = self.mark(path, key=True)
        return SourceMark(self.file, line, column)

    def where(self, path: KeyPath) -> str:
        """``FILE:LINE`` of ``path``, for messages that point at a second place."""
        return f"{self.file}:{self.mark(path, key=True)[0]}"
