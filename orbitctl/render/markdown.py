"""The plan as GitHub-flavoured markdown, for a pull-request comment or a job summary.

Layout: a marker comment ``<!-- orbitctl-plan:stack=prod -->`` (so a CI step can find and update
its own comment), a heading, a table of counts, the cost delta, notes on inventories the plan
could not count, then one collapsible ``<details>`` section per kind of action holding a ``diff``
code block of its blocks (the text rendering's, one per pool and kind of action or, ``detailed``,
one per action; with the symbol in the first column so GitHub colours ``+`` and ``-`` lines).

User strings (labels, channel_config values, reasons) only ever appear inside a fenced code block
whose fence is longer than any backtick run in it, so they cannot close it, and nothing inside is
read as markdown or HTML; the stack, which also appears outside, is escaped. Secrets are masked as
in the text output. GitHub refuses comments over 65,536 characters: the comment never exceeds
``MAX_CHARS``, whatever the plan. Past it, the remaining numbers are counted, not listed, and the
comment says how to see the full plan.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from orbitctl.model import ACTION_KINDS, ALWAYS_SUMMARISED, ActionKind, Plan
from orbitctl.render import text as text_render
from orbitctl.render.blocks import Block, group
from orbitctl.values import availability_note, format_delta

#: Comments are limited to 65,536 characters; keep room for what a CI step adds around the plan.
MAX_CHARS = 60_000

_TITLES = {
    ActionKind.PURCHASE: "to purchase",
    ActionKind.PORT: "to port in from another carrier",
    ActionKind.ADOPT: "to adopt",
    ActionKind.UPDATE: "to update in place",
    ActionKind.REPLACE: "to replace",
    ActionKind.RELEASE: "to release",
    ActionKind.ORPHAN: "to orphan (ownership tag removed, number kept)",
    ActionKind.MOVE: "to move to a new name",
}

#: Characters a section takes besides its blocks: tags, fences, the "more not shown" note.
_SECTION_OVERHEAD = 400

#: Where the comment sends a reader for what it could not show.
FULL_PLAN = "run `orbitctl plan --detailed` to see every number"

_MARKDOWN_PUNCTUATION = set("!#()*+-.:[\\]^_`{|}~")
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def marker(stack: str) -> str:
    """The comment that identifies this stack's plan comment: ``<!-- orbitctl-plan:stack=prod -->``."""
    return f"<!-- orbitctl-plan:stack={quote(stack, safe='-_.')} -->"


def escape_inline(text: str) -> str:
    """``text`` safe anywhere in a markdown line or table cell: HTML specials as entities, markdown's
    punctuation backslash-escaped, line breaks and control characters as spaces."""
    out = []
    for char in " ".join(str(text).splitlines()):
        if char in _HTML_SPECIAL:
            out.append(_HTML_SPECIAL[char])
        elif char in _MARKDOWN_PUNCTUATION:
            out.append("\\" + char)
        elif ord(char) < 32 or 127 <= ord(char) < 160:
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def fenced(body: str, info: str = "") -> str:
    """``body`` in a code fence of backticks longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def render_plan_markdown(
    plan: Plan, *, detailed: bool = False, totals: bool | None = None, limit: int = MAX_CHARS
) -> str:
    """The plan as markdown for a pull-request comment (no trailing newline), at most ``limit``
    characters (a comment's, or a stack's share of one); one block per action when ``detailed``;
    the stack's monthly total with ``totals`` (default: when it has a budget)."""
    total = text_render.monthly_total(plan) if text_render.shows_totals(plan, totals) else None
    lines = [marker(plan.stack), f"### orbitctl plan for stack <code>{escape_inline(plan.stack)}</code>", ""]
    if plan.targets:
        warning = "\n".join(f"> {escape_inline(line)}" for line in text_render.targeting_warning(plan).splitlines())
        lines += [f"> [!WARNING]\n{warning}", ""]
    if not plan.has_changes:
        lines.append(f"**{escape_inline(text_render.NO_CHANGES)}**")
        lines.append("")
        lines.append(f"{text_render.count_numbers(plan.unchanged, 'managed ')} unchanged.")
        if total:
            lines += ["", f"**Stack total:** {escape_inline(total)}"]
        lines += _waiting(plan)
        return "\n".join(lines)

    table = ["| Action | Count |", "| --- | ---: |"]
    for kind in ACTION_KINDS:
        if kind in ALWAYS_SUMMARISED or plan.count(kind):
            table.append(f"| {kind.value} | {plan.count(kind)} |")
    table.append(f"| unchanged | {plan.unchanged} |")
    if plan.waiting:
        table.append(f"| waiting for a port | {len(plan.waiting)} |")
    table.append("")
    beside = f" (stack total {total})" if total else ""
    table.append(f"**Monthly cost:** {escape_inline(format_delta(plan.monthly_cost_delta, plan.currency) + beside)}")
    lines += table
    if plan.count(ActionKind.RELEASE) or plan.count(ActionKind.REPLACE):
        lines.append("")
        lines.append(
            "> [!WARNING]\n> This plan releases numbers. A release cannot be undone: the number may "
            "go to another customer."
        )

    if plan.suggested_moves:
        yaml = fenced("\n".join(text_render.moved_lines(plan)), "yaml")
        hint = escape_inline(text_render.rename_hint(plan).removeprefix("Hint: "))
        lines += ["", f"> [!TIP]\n> {hint}\n>",
                  *(f"> {line}" for line in yaml.splitlines())]

    closing = f"**{escape_inline(text_render.summary_line(plan, totals=totals))}**"
    kinds = [kind for kind in ACTION_KINDS if plan.count(kind)]
    sections = [(kind, group((a for a in plan.actions if a.kind is kind), detailed=detailed)) for kind in kinds]
    notes = [f"> [!NOTE]\n> {escape_inline(availability_note(note, plan.currency))}" for note in plan.availability]
    lines += _waiting(plan)
    # what every section needs besides its blocks (tags, fences, a "more" note)
    budget = limit - sum(len(line) + 1 for line in lines) - len(closing) - 2 - _SECTION_OVERHEAD * len(kinds)
    while budget > 0:  # the overheads are estimates: shrink the budget until the comment fits
        text = "\n".join([*lines, *_body(notes, sections, plan.currency, budget), "", closing])
        if len(text) <= limit:
            return text
        budget -= len(text) - limit
    # what comes before the actions alone is too long (warnings and hints naming many entries)
    return "\n".join([*lines[:3], *table, "", f"The plan is too long for a comment; {FULL_PLAN}.", "", closing])


def _waiting(plan: Plan) -> list[str]:
    """The numbers being ported in, in a collapsed section (no change: nothing is done for them)."""
    if not plan.waiting:
        return []
    body = fenced("\n".join([text_render.WAITING_HEADING, *text_render.waiting_lines(plan)]))
    return ["", f"<details><summary>{len(plan.waiting)} waiting for a port to complete</summary>", "", body,
            "", "</details>"]


def _body(notes: list[str], sections: list[tuple[ActionKind, list[Block]]], currency: str, budget: int) -> list[str]:
    """The notes and the sections, as many of their lines as ``budget`` characters allow."""
    lines: list[str] = []
    for index, note in enumerate(notes):
        if len(note) + 2 > budget:
            lines += ["", f"> [!NOTE]\n> … and {len(notes) - index} more notes on the inventory; {FULL_PLAN}."]
            break
        lines += ["", note]
        budget -= len(note) + 2
    for kind, blocks in sections:
        section, budget = _section(kind, blocks, currency, budget)
        lines += ["", *section]
    return lines


def _section(kind: ActionKind, blocks: list[Block], currency: str, budget: int) -> tuple[list[str], int]:
    """A ``<details>`` section of the blocks of one kind, as much of them as ``budget`` characters
    allow: whole blocks, and of the first that does not fit, its head and as many of the numbers
    it lists as fit."""
    shown: list[str] = []
    hidden = 0
    for block in blocks:
        if hidden:
            hidden += block.count
            continue
        lines = _diff_lines(block, currency)
        size = sum(len(line) + 1 for line in lines) + 1
        if size <= budget:
            shown.append("\n".join(lines))
            budget -= size
            continue
        listed = block.count if block.names_numbers and block.count > 1 else 0
        head = lines[: len(lines) - listed]
        room = budget - sum(len(line) + 1 for line in head) - 1
        if listed and room > 0:
            numbers = []
            for line in lines[len(head) :]:
                if len(line) + 1 > room:
                    break
                numbers.append(line)
                room -= len(line) + 1
            shown.append("\n".join(head + numbers))
            budget = room
            hidden = listed - len(numbers)
        else:
            hidden = block.count
    total = sum(block.count for block in blocks)
    section = [f"<details><summary>{html.escape(f'{total} {_TITLES[kind]}')}</summary>", ""]
    if shown:
        section.append(fenced("\n\n".join(shown), "diff"))
    if hidden:
        section += [
            "",
            f"… and {hidden} more not shown here (the comment would be too long); {FULL_PLAN}.",
        ]
    section += ["", "</details>"]
    return section, budget


def _diff_lines(block: Block, currency: str) -> list[str]:
    """The text rendering's lines of ``block``, uncoloured, with each line's symbol moved to the
    first column (``~`` shown as ``!``, which GitHub's diff colouring marks as changed) and the
    rest of the line left in its column, so the block lines up as in the terminal."""
    lines = []
    for line in text_render.block_lines(block, currency):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        for symbol in ("-/+", "+", "-", "~"):
            if stripped.startswith(symbol + " "):
                mark = "!" if symbol == "~" else symbol
                lines.append(mark + " " * (indent + len(symbol) + 1 - len(mark)) + stripped[len(symbol) + 1 :])
                break
        else:
            lines.append(line if indent else " " + line)
    return lines
