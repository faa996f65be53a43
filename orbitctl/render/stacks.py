"""The plans of several stacks (``orbitctl plan DIR...``): one section per stack, each as a
single stack's plan is rendered (with the stack's monthly total), a stack that failed shown by
its error in its place, then a combined summary line.

JSON is one document, ``schemas/plans.schema.json``: ``stacks`` (per stack ``stack``, ``paths``,
``account``, ``plan``, a ``schemas/plan.schema.json`` document or null, and ``error``, null or
the message) and ``summary`` (stacks, with changes, failed, the counts of every kind of action
and the cost delta per currency). A run of one stack is rendered as today, not by this module.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from orbitctl import __version__
from orbitctl.model import ACTION_KINDS, ALWAYS_SUMMARISED, StackPlan
from orbitctl.render import markdown
from orbitctl.render import text as text_render
from orbitctl.render.plan_json import FORMAT_VERSION, PLAN_SCHEMA_PATH, plan_to_dict
from orbitctl.values import escape_surrogates, format_delta, format_money, printable

#: The JSON Schema of the document of several stacks, packaged with orbitctl.
PLANS_SCHEMA_PATH = PLAN_SCHEMA_PATH.with_name("plans.schema.json")


def stacks_summary(stacks: Sequence[StackPlan]) -> str:
    """``Stacks: 3 planned, 2 with changes, 1 failed (staging). Plan: 2 to purchase, 0 to update,
    0 to release (+3.00 USD/month).``: the actions and cost of the stacks that were planned."""
    planned = [stack.plan for stack in stacks if stack.plan is not None]
    failed = [stack.name for stack in stacks if stack.plan is None]
    parts = [f"{len(planned)} planned", f"{sum(1 for stack in stacks if stack.has_changes)} with changes"]
    if failed:
        parts.append(f"{len(failed)} failed ({', '.join(printable(name) for name in failed)})")
    counts = [
        f"{sum(plan.count(kind) for plan in planned)} to {kind.value}"
        for kind in ACTION_KINDS
        if kind in ALWAYS_SUMMARISED or any(plan.count(kind) for plan in planned)
    ]
    deltas = ", ".join(format_delta(amount, currency) for currency, amount in _deltas(stacks).items())
    return f"Stacks: {', '.join(parts)}. Plan: {', '.join(counts)} ({deltas or format_delta(Decimal(0), 'USD')})."


def _deltas(stacks: Sequence[StackPlan]) -> dict[str, Decimal]:
    """The monthly cost delta of the planned stacks, per currency."""
    deltas: dict[str, Decimal] = {}
    for stack in stacks:
        if stack.plan is not None:
            deltas[stack.plan.currency] = deltas.get(stack.plan.currency, Decimal(0)) + stack.plan.monthly_cost_delta
    return deltas


def heading(stack: StackPlan) -> str:
    """``Stack prod-us (examples/stacks/prod-us; account ORBIT_API_KEY)`` (no account when its
    manifests could not say)."""
    account = f"; account {stack.account.name}" if stack.account is not None else ""
    return f"Stack {printable(stack.name)} ({printable(', '.join(stack.paths))}{account})"


def render_stacks_text(stacks: Sequence[StackPlan], *, color: bool, detailed: bool = False) -> str:
    """Every stack's section, then the combined summary (no trailing newline)."""
    lines: list[str] = []
    for stack in stacks:
        title = heading(stack)
        lines += [title, "=" * len(title), ""]
        if stack.plan is not None:
            lines.append(text_render.render_plan(stack.plan, color=color, detailed=detailed, totals=True))
        else:
            lines.append(f"Error: {stack.error}")
        lines.append("")
    lines.append(stacks_summary(stacks))
    return "\n".join(lines)


def render_stacks_markdown(stacks: Sequence[StackPlan], *, detailed: bool = False) -> str:
    """Every stack's plan as its own markdown section (a failed stack's error in a code block),
    then the combined summary in bold (no trailing newline); at most ``markdown.MAX_CHARS`` in
    all. A section that does not fit its share of the comment is cut as a single stack's plan is
    (the counts kept, the numbers past the cut counted); what smaller sections leave of their
    share goes to the larger ones."""
    summary = f"**{markdown.escape_inline(stacks_summary(stacks))}**"
    separators = len("\n\n") * len(stacks)
    room = markdown.MAX_CHARS - len(summary) - separators
    sections = {index: _section(stack, detailed, markdown.MAX_CHARS) for index, stack in enumerate(stacks)}
    for left, index in enumerate(sorted(sections, key=lambda index: len(sections[index]))):
        share = room // (len(stacks) - left)
        if len(sections[index]) > share:
            sections[index] = _section(stacks[index], detailed, share)
        room -= len(sections[index])
    text = "\n\n".join([*(sections[index] for index in range(len(stacks))), summary])
    if len(text) <= markdown.MAX_CHARS:
        return text
    return _one_line_each(stacks, summary)


def _section(stack: StackPlan, detailed: bool, limit: int) -> str:
    if stack.plan is not None:
        return markdown.render_plan_markdown(stack.plan, detailed=detailed, totals=True, limit=limit)
    head = "\n".join([
        markdown.marker(stack.name),
        f"### orbitctl plan for stack <code>{markdown.escape_inline(stack.name)}</code>",
        "",
        "> [!CAUTION]",
        "> This stack could not be planned:",
        "",
    ])
    section = head + "\n" + markdown.fenced(stack.error or "", "")
    room = limit - len(head + "\n" + markdown.fenced(_CUT, ""))  # for the error's first characters
    if len(section) > limit and room > 0:
        section = head + "\n" + markdown.fenced((stack.error or "")[:room].rstrip() + _CUT, "")
    return section


#: the end of a failed stack's error cut to fit the comment
_CUT = "\n… (cut to fit the comment: the plan's own output has the whole error)"


def _one_line_each(stacks: Sequence[StackPlan], summary: str) -> str:
    """Too many stacks for a section each: a line per stack, as many as fit."""
    intro = f"The plans of {len(stacks)} stacks are too long for one comment; {markdown.FULL_PLAN}."
    more = "- … and 0000000 more stacks"  # room kept for the line that counts the rest
    room = markdown.MAX_CHARS - len(intro) - len(summary) - len(more) - 4
    lines: list[str] = []
    for stack in stacks:
        what = text_render.summary_line(stack.plan, totals=True) if stack.plan is not None else "could not be planned"
        line = f"- <code>{markdown.escape_inline(stack.name)}</code>: {markdown.escape_inline(what)}"
        room -= len(line) + 1
        if room < 0:
            lines.append(f"- … and {len(stacks) - len(lines)} more stacks")
            break
        lines.append(line)
    return "\n".join([intro, "", *lines, "", summary])


def stacks_to_dict(stacks: Sequence[StackPlan]) -> dict[str, Any]:
    """The JSON document of a run of several stacks (``schemas/plans.schema.json``)."""
    planned = [stack.plan for stack in stacks if stack.plan is not None]
    summary: dict[str, Any] = {
        "stacks": len(stacks),
        "with_changes": sum(1 for stack in stacks if stack.has_changes),
        "failed": sum(1 for stack in stacks if stack.plan is None),
    }
    summary.update({kind.value: sum(plan.count(kind) for plan in planned) for kind in ACTION_KINDS})
    summary["monthly_cost_delta"] = {
        currency: ("-" if amount < 0 else "") + format_money(abs(amount))
        for currency, amount in _deltas(stacks).items()
    }
    return {
        "format_version": FORMAT_VERSION,
        "orbitctl_version": __version__,
        "stacks": [
            {
                "stack": stack.name,
                "paths": list(stack.paths),
                "account": None if stack.account is None else {
                    "api_key_env": stack.account.api_key_env, "api_url_env": stack.account.api_url_env,
                },
                "plan": plan_to_dict(stack.plan, totals=True) if stack.plan is not None else None,
                "error": stack.error,
            }
            for stack in stacks
        ],
        "summary": summary,
    }


def render_stacks(stacks: Sequence[StackPlan], output: str, *, color: bool, detailed: bool = False) -> str:
    """The plans of ``stacks`` in ``output`` format (text, json, markdown), ending with a newline."""
    if output == "text":
        return render_stacks_text(stacks, color=color, detailed=detailed) + "\n"
    if output == "json":
        return escape_surrogates(json.dumps(stacks_to_dict(stacks), indent=2, ensure_ascii=False)) + "\n"
    if output == "markdown":
        return render_stacks_markdown(stacks, detailed=detailed) + "\n"
    raise ValueError(f"unknown output format {output!r}")
