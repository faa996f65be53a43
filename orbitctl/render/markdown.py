"""The plan as GitHub-flavoured markdown, for a pull-request comment or a job summary.

Layout: a marker comment ``<!-- orbitctl-plan:stack=prod -->`` (so a CI step can find and update
its own comment), a heading, a table of counts, the cost delta, then one collapsible
``<details>`` section per kind of action holding a ``diff`` code block of its actions (the text
rendering's blocks, with the symbol in the first column so GitHub colours ``+`` and ``-`` lines).

User strings (labels, channel_config values, reasons) only ever appear inside a fenced code block
whose fence is longer than any backtick run in it, so they cannot close it, and nothing inside is
read as markdown or HTML; the stack, which also appears outside, is escaped. Secrets are masked as
in the text output. GitHub refuses comments over 65,536 characters: past ``MAX_CHARS`` the
remaining actions are counted, not listed.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from orbitctl.model import ACTION_KINDS, ALWAYS_SUMMARISED, Action, ActionKind, Plan
from orbitctl.render import text as text_render
from orbitctl.render.values import format_delta

#: Comments are limited to 65,536 characters; keep room for what a CI step adds around the plan.
MAX_CHARS = 60_000

_TITLES = {
    ActionKind.PURCHASE: "to purchase",
    ActionKind.ADOPT: "to adopt",
    ActionKind.UPDATE: "to update in place",
    ActionKind.REPLACE: "to replace",
    ActionKind.RELEASE: "to release",
    ActionKind.ORPHAN: "to orphan (ownership tag removed, number kept)",
    ActionKind.MOVE: "to move to a new name",
}

#: Characters a section takes besides its action blocks: tags, fences, the "more not shown" note.
_SECTION_OVERHEAD = 400

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


def render_plan_markdown(plan: Plan) -> str:
    """The plan as markdown for a pull-request comment (no trailing newline)."""
    lines = [marker(plan.stack), f"### orbitctl plan for stack <code>{escape_inline(plan.stack)}</code>", ""]
    if plan.targets:
        warning = "\n".join(f"> {escape_inline(line)}" for line in text_render.targeting_warning(plan).splitlines())
        lines += [f"> [!WARNING]\n{warning}", ""]
    if not plan.has_changes:
        lines.append(f"**{escape_inline(text_render.NO_CHANGES)}**")
        lines.append("")
        lines.append(f"{text_render.count_numbers(plan.unchanged, 'managed ')} unchanged.")
        return "\n".join(lines)

    lines += ["| Action | Count |", "| --- | ---: |"]
    for kind in ACTION_KINDS:
        if kind in ALWAYS_SUMMARISED or plan.count(kind):
            lines.append(f"| {kind.value} | {plan.count(kind)} |")
    lines.append(f"| unchanged | {plan.unchanged} |")
    lines.append("")
    lines.append(f"**Monthly cost:** {escape_inline(format_delta(plan.monthly_cost_delta, plan.currency))}")
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

    closing = f"**{escape_inline(text_render.summary_line(plan))}**"
    kinds = [kind for kind in ACTION_KINDS if plan.count(kind)]
    # what every section needs besides its action blocks (tags, fences, a "more" note)
    budget = MAX_CHARS - sum(len(line) + 1 for line in lines) - len(closing) - 2 - _SECTION_OVERHEAD * len(kinds)
    for kind in kinds:
        section, budget = _section(kind, [a for a in plan.actions if a.kind is kind], plan.currency, budget)
        lines += ["", *section]
    lines += ["", closing]
    return "\n".join(lines)


def _section(kind: ActionKind, actions: list[Action], currency: str, budget: int) -> tuple[list[str], int]:
    """A ``<details>`` section of the actions of one kind, as many as ``budget`` characters allow."""
    blocks: list[str] = []
    for action in actions:
        block = "\n".join(_diff_lines(action, currency))
        if len(block) + 2 > budget:
            break
        blocks.append(block)
        budget -= len(block) + 2
    section = [f"<details><summary>{html.escape(f'{len(actions)} {_TITLES[kind]}')}</summary>", ""]
    if blocks:
        section.append(fenced("\n\n".join(blocks), "diff"))
    if len(blocks) < len(actions):
        section += [
            "",
            f"… and {len(actions) - len(blocks)} more not shown here (the comment would be too long); "
            "run `orbitctl plan` to see them all.",
        ]
    section += ["", "</details>"]
    return section, budget


def _diff_lines(action: Action, currency: str) -> list[str]:
    """The text rendering's block for ``action``, uncoloured, with each line's symbol moved to the
    first column (``~`` shown as ``!``, which GitHub's diff colouring marks as changed) and the
    rest of the line left in its column, so the block lines up as in the terminal."""
    lines = []
    for line in text_render.action_lines(action, currency):
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
