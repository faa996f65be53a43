#!/usr/bin/env python3
"""One pull-request comment from the plan sections of several stacks (standard library only).

    plan-comment.py SECTIONS STAMP COMMENT [STACK...]

SECTIONS is the folder where the plan jobs' artifacts were downloaded: for each stack, the
section the plan step wrote (``STACK.md``: the comment a single stack would get) and what came of
the plan (``STACK.json``: ``{"stack", "exitcode", "summary"}``). STAMP is the line saying which
commit and when. The STACKs are those the comment must show, in that order (the matrix's); one
that sent no section (its job was cancelled or failed before planning) is shown as having no
plan. Sections of stacks not listed follow, by name.

Writes the comment to the file COMMENT: a marker, a heading, STAMP, a table of each stack's outcome, then each
stack's section. GitHub refuses comments over 65,536 characters: sections are shortened, each to
a fair share of ``BUDGET`` (a short one leaves its share to the others), at a line, closing any
code block and ``<details>`` left open, and saying where the rest is. Prints
``--detailed-exitcode``'s status over the stacks: 1 when any has no plan, else 2 when any has
changes, else 0.
"""

from __future__ import annotations

import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

#: Starts the combined comment, so that the next run finds it and edits it in place.
MARKER = "<!-- orbitctl-plan:stacks -->"
#: What the sections may take together: GitHub's 65,536 characters less room for the rest.
BUDGET = 60_000
#: A stack name, as the manifest schema allows it (also checked by action-common.sh).
STACK = re.compile(r"[a-z0-9][a-z0-9-]{0,15}")
_FENCE = re.compile(r"(`{3,})[^`]*")


@dataclass(frozen=True)
class Section:
    stack: str
    exitcode: int
    summary: str
    body: str


def cell(text: str) -> str:
    """Text safe in a markdown table cell."""
    return html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ")


def missing(stack: str) -> Section:
    body = (
        f"### orbitctl plan for stack <code>{stack}</code>: no plan\n\n"
        "Its plan job sent no section: it was cancelled, or failed before it could plan. "
        "See its log in the workflow run.\n"
    )
    return Section(stack, 1, "no plan (see its job's log)", body)


def read_sections(folder: Path) -> dict[str, Section]:
    sections = {}
    for meta_file in sorted(folder.glob("*.json")):
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            stack, exitcode = str(meta["stack"]), int(meta["exitcode"])
            body = (folder / f"{stack}.md").read_text(encoding="utf-8")
        except (OSError, ValueError, KeyError, TypeError) as problem:
            print(f"::warning::orbitctl action: ignoring the section {meta_file.name}: {problem}", file=sys.stderr)
            continue
        if STACK.fullmatch(stack) and meta_file.stem == stack:
            sections[stack] = Section(stack, exitcode, str(meta.get("summary") or ""), body)
    return sections


def shorten(section: Section, limit: int) -> str:
    """The section within ``limit`` characters, cut at a line, any code block or ``<details>``
    left open closed, and a note saying where the rest is."""
    if len(section.body) <= limit:
        return section.body
    note = (
        f"\n*The rest of stack `{section.stack}`'s plan does not fit in this comment: see the job summary "
        "of its plan job (the workflow run above), or run `orbitctl plan --detailed`.*\n"
    )
    kept: list[str] = []
    fence, details, used = "", 0, len(note)
    for line in section.body.splitlines(keepends=True):
        after_fence, after_details = _state_after(line, fence, details)
        closers = (len(after_fence) + 2 if after_fence else 0) + after_details * len("\n</details>\n")
        if used + len(line) + 1 + closers > limit:
            break
        kept.append(line)
        used += len(line)
        fence, details = after_fence, after_details
    if kept and not kept[-1].endswith("\n"):
        kept.append("\n")
    closing = ([fence + "\n"] if fence else []) + ["\n</details>\n"] * details
    return "".join(kept + closing) + note


def _state_after(line: str, fence: str, details: int) -> tuple[str, int]:
    """The code fence left open and the ``<details>`` depth after ``line``."""
    if fence:
        return ("" if line.strip() == fence else fence), details
    opening = _FENCE.fullmatch(line.strip())
    if opening:
        return opening.group(1), details
    if line.startswith("<details>"):
        return fence, details + 1
    if line.startswith("</details>"):
        return fence, max(details - 1, 0)
    return fence, details


def fit(sections: list[Section], budget: int = BUDGET) -> dict[str, str]:
    """Each section's text, shortened to its fair share of ``budget`` when it is longer."""
    shown, left = {}, budget
    by_length = sorted(sections, key=lambda section: len(section.body))
    for index, section in enumerate(by_length):
        share = left // (len(by_length) - index)
        shown[section.stack] = shorten(section, share)
        left -= len(shown[section.stack])
    return shown


def outcome(section: Section) -> str:
    if section.exitcode == 0:
        return "no changes"
    if section.exitcode == 2:
        return cell(section.summary or "changes")
    return f"**failed**: {cell(section.summary)}" if section.summary else "**failed**"


def combined_exitcode(sections: list[Section]) -> int:
    if any(section.exitcode not in (0, 2) for section in sections):
        return 1
    return 2 if any(section.exitcode == 2 for section in sections) else 0


def combine(found: dict[str, Section], stamp: str, expected: list[str]) -> tuple[str, int]:
    """The comment, and the exit status over the stacks."""
    order = list(dict.fromkeys(expected)) + sorted(set(found) - set(expected))
    sections = [found.get(stack) or missing(stack) for stack in order]
    shown = fit(sections)
    count = f"{len(sections)} stack{'s' * (len(sections) != 1)}"
    lines = [MARKER, f"## orbitctl plan of {count}", "", stamp, "", "| Stack | Plan |", "| --- | --- |"]
    lines += [f"| <code>{section.stack}</code> | {outcome(section)} |" for section in sections]
    text = "\n".join(lines) + "\n"
    for section in sections:
        text += "\n---\n\n" + shown[section.stack].rstrip("\n") + "\n"
    return text, combined_exitcode(sections)


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 1
    folder, stamp, comment, expected = Path(argv[0]), argv[1], Path(argv[2]), argv[3:]
    found = read_sections(folder) if folder.is_dir() else {}
    text, exitcode = combine(found, stamp, expected)
    comment.write_text(text, encoding="utf-8")
    print(exitcode)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
