"""Several manifest files as one: each name, default and rule stated once, one stack for all."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any

from orbitctl.manifest.document import Document, KeyPath
from orbitctl.manifest.problems import Problem


@dataclass(frozen=True)
class Placed:
    """A value and the file and key path it was written at."""

    value: Any
    document: Document
    path: KeyPath

    def problem(self, message: str, *, key: bool = False, sub: KeyPath = (), suggestion: str | None = None) -> Problem:
        return self.document.problem(self.path + sub, message, key=key, suggestion=suggestion)

    def where(self) -> str:
        return self.document.where(self.path)


@dataclass
class Merged:
    """The sections of every file, by key. Values the schema rejected are kept as they are."""

    documents: list[Document] = field(default_factory=list)
    stack: Placed | None = None
    defaults: dict[str, Placed] = field(default_factory=dict)
    entries: dict[str, Placed] = field(default_factory=dict)
    moved: dict[str, Placed] = field(default_factory=dict)
    removed: dict[str, Placed] = field(default_factory=dict)
    #: ``account:`` and ``budget:``, each stated in one file of the stack at most
    account: Placed | None = None
    budget: Placed | None = None


_SECTIONS = {
    "defaults": ("a default", "each default in one file"),
    "numbers": ("the entry", "each name once across all manifests"),
    "moved": ("the moved name", "each name once across all manifests"),
    "removed": ("the removed name", "each name once across all manifests"),
}


#: Top-level keys a stack states once, in one of its files.
_ONCE = ("account", "budget")


def merge(
    documents: list[Document], rejected: Set[tuple[str, str]] = frozenset()
) -> tuple[Merged, list[Problem]]:
    """Merge the top-level mappings of ``documents``; report what is stated twice.

    A stack already reported as wrong (its ``(file, "stack")`` in ``rejected``) is not compared."""
    merged = Merged(documents=list(documents))
    problems: list[Problem] = []
    for document in documents:
        data = document.data
        stack = data.get("stack")
        if isinstance(stack, str) and (document.file, "stack") not in rejected:
            here = Placed(stack, document, ("stack",))
            if merged.stack is None:
                merged.stack = here
            elif merged.stack.value != stack:
                problems.append(
                    here.problem(f"stack {stack!r} differs from stack {merged.stack.value!r} at "
                                 f"{merged.stack.where()} "
                                 "(allowed: one stack for all manifests loaded together)")
                )
        for section in _ONCE:
            if section in data:
                here = Placed(data[section], document, (section,))
                first = getattr(merged, section)
                if first is None:
                    setattr(merged, section, here)
                else:
                    problems.append(
                        here.problem(f"{section} is also stated at {first.where()} "
                                     f"(allowed: {section} once, in one manifest of the stack)", key=True)
                    )
        for section, target in (
            ("defaults", merged.defaults),
            ("numbers", merged.entries),
            ("moved", merged.moved),
            ("removed", merged.removed),
        ):
            values = data.get(section)
            if not isinstance(values, dict):
                continue
            what, allowed = _SECTIONS[section]
            for key, value in values.items():
                here = Placed(value, document, (section, key))
                first = target.get(key)
                if first is None:
                    target[key] = here
                elif first.document is not document:
                    problems.append(
                        here.problem(f"{what} {key!r} is also stated at {first.where()} (allowed: {allowed})",
                                     key=True)
                    )
    return merged, problems
