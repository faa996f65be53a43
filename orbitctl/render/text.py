"""The plan as text, like Terraform's: one block per action, changed keys only, secrets masked.

The members of a pool that a plan treats alike share one block (``blocks.group``): ``+ otp-pool
300 to purchase ...`` with the configuration stated once, ``~ otp-pool  300 to update`` with the
change stated once; a block that releases numbers lists every one of them. ``detailed`` shows one
block per action.

The last line is the summary of SPEC section 3, e.g.
``Plan: 1 to purchase, 2 to update, 0 to release (+1.50 USD/month).``: it names every kind of
action present, in ``ACTION_KINDS`` order, and always purchase, update and release.
"""

from __future__ import annotations

from orbitctl.model import ACTION_KINDS, ALWAYS_SUMMARISED, BUYING_KINDS, Action, ActionKind, Plan, cost_delta
from orbitctl.render.blocks import Block, group
from orbitctl.values import (
    availability_note,
    change_leaves,
    describe_port_in,
    describe_progress,
    describe_selection,
    displayed_changes,
    format_delta,
    format_money,
    format_value,
    printable,
)

NO_CHANGES = "No changes. Your numbers match the manifest."

#: The heading over the numbers a plan waits for (``Plan.waiting``).
WAITING_HEADING = "Waiting for numbers being ported in (nothing to do until they arrive; not a change):"

#: What a plan limited by ``--target`` says, as Terraform's "Resource targeting is in effect".
TARGETING_WARNING = (
    "--target is not for routine use: it is for exceptional cases, such as recovering from an error "
    "or a mistake. Run plan without --target afterwards to see every change the manifests ask for."
)


def targeting_note(plan: Plan) -> str:
    """``Targeting is in effect: this plan covers only --target a, b; ...`` (empty: no targets)."""
    if not plan.targets:
        return ""
    return (f"Targeting is in effect: this plan covers only --target {', '.join(plan.targets)}, so it may "
            "not show every change the manifests ask for.")


def rename_hint(plan: Plan) -> str:
    """Why ``plan.suggested_moves`` look like renames (empty when there are none); the ``moved:``
    lines to add follow it (:func:`moved_lines`)."""
    if not plan.suggested_moves:
        return ""
    if len(plan.suggested_moves) == 1:
        ((old, new),) = plan.suggested_moves
        return printable(
            f"Hint: {old} will be released and {new} purchased, and what {old} holds already matches "
            f"{new}. If {new} is {old} renamed, keep the numbers instead (a release cannot be undone) "
            "by adding to the manifest:"
        )
    return ("Hint: entries will be released while entries their numbers already match are purchased. If "
            "these are renames, keep the numbers instead (a release cannot be undone) by adding to the manifest:")


def moved_lines(plan: Plan) -> list[str]:
    """``moved:`` and one ``old: new`` line per suggested move, as YAML to paste."""
    return ["moved:", *(printable(f"  {old}: {new}") for old, new in plan.suggested_moves)]


def targeting_warning(plan: Plan) -> str:
    """The whole warning of a targeted plan, for stderr and the markdown (empty: no targets)."""
    return f"{targeting_note(plan)}\n{TARGETING_WARNING}" if plan.targets else ""


def waiting_lines(plan: Plan) -> list[str]:
    """One line per number the plan waits for, and its note if any: ``legacy-main
    +14155551234  porting request port_abc: pending, submitted ..., estimated completion ...``."""
    lines = []
    width = max((len(printable(progress.name)) for progress in plan.waiting), default=0)
    for progress in plan.waiting:
        name = printable(progress.name).ljust(width)
        lines.append(f"  {name}  {printable(progress.number)}  {describe_progress(progress)}")
        if progress.note:
            lines.append(f"      note: {printable(progress.note)}")
    return lines

SYMBOLS = {
    ActionKind.PURCHASE: "+",
    ActionKind.PORT: "+",
    ActionKind.ADOPT: "+",
    ActionKind.UPDATE: "~",
    ActionKind.REPLACE: "-/+",
    ActionKind.RELEASE: "-",
    ActionKind.ORPHAN: "~",
    ActionKind.MOVE: "~",
}

#: What the legend says of each symbol, and the kinds it stands for.
LEGEND = (
    ("+", "purchase, port in from another carrier, or adopt a number already on the account"),
    ("~", "update in place, move to a new name, or orphan (ownership tag removed, number kept)"),
    ("-/+", "replace: buy the new number, move the configuration, then release the old one"),
    ("-", "release: the number leaves the account and may go to another customer"),
)

_ANSI = {
    "bold": "\x1b[1m",
    "green": "\x1b[32m",
    "yellow": "\x1b[33m",
    "red": "\x1b[31m",
    "magenta": "\x1b[35m",
    "dim": "\x1b[2m",
}
_RESET = "\x1b[0m"

_SYMBOL_STYLE = {"+": "green", "~": "yellow", "-": "red", "-/+": "magenta"}


def summary_line(plan: Plan, *, totals: bool | None = None) -> str:
    """``Plan: 1 to purchase, 2 to update, 0 to release (+1.50 USD/month).``; with ``totals``
    (default: when the stack has a budget) the stack's monthly total beside the delta:
    ``(+1.50 USD/month; stack total 13.50 USD/month of a 250.00 budget)``."""
    counts = [
        f"{plan.count(kind)} to {kind.value}"
        for kind in ACTION_KINDS
        if kind in ALWAYS_SUMMARISED or plan.count(kind)
    ]
    total = monthly_total(plan) if shows_totals(plan, totals) else None
    beside = f"; stack total {total}" if total else ""
    return f"Plan: {', '.join(counts)} ({format_delta(plan.monthly_cost_delta, plan.currency)}{beside})."


def shows_totals(plan: Plan, totals: bool | None) -> bool:
    """Whether a rendering shows the stack's monthly total: as asked, else when it has a budget."""
    return plan.budget is not None if totals is None else totals


def monthly_total(plan: Plan) -> str | None:
    """What the stack's numbers cost a month after the plan, against its budget:
    ``13.50 USD/month of a 250.00 budget``, ``300.00 USD/month, over its 250.00 budget``,
    ``13.50 USD/month``; None when not known."""
    if plan.monthly_cost_after is None:
        return None
    text = f"{format_money(plan.monthly_cost_after)} {plan.currency}/month"
    if plan.budget is None:
        return text
    if plan.monthly_cost_after > plan.budget:
        return f"{text}, over its {format_money(plan.budget)} budget"
    return f"{text} of a {format_money(plan.budget)} budget"


def headline(block: Block) -> str:
    """The ``# ...`` comment over a block: ``# otp-pool will be purchased``, ``# otp-pool: 300
    numbers will be purchased``."""
    action = block.first
    name = printable(action.name)
    one = block.count == 1
    subject = name if one else f"{name}: {block.count} numbers"
    gains = "gains the ownership tag" if one else "each gains the ownership tag"
    kept = "number kept" if one else f"{block.count} numbers kept"
    return {
        ActionKind.PURCHASE: f"# {subject} will be purchased",
        ActionKind.PORT: f"# {subject} will be ported in from another carrier (adopted once it arrives)",
        ActionKind.ADOPT: f"# {subject} will be adopted (already on the account; {gains})",
        ActionKind.UPDATE: f"# {subject} will be updated in place",
        ActionKind.REPLACE: f"# {subject} must be replaced (new number first, then the old one is released)",
        ActionKind.RELEASE: f"# {subject} will be released (this cannot be undone)",
        ActionKind.ORPHAN: f"# {subject} will be orphaned (ownership tag removed, number kept)",
        ActionKind.MOVE: (
            f"# {printable(action.previous_name)} has moved to {name} ({kept})"
            if action.previous_name
            else f"# {name} has moved ({kept})"
        ),
    }[action.kind]


class _Painter:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, text: str, style: str) -> str:
        if not self.color:
            return text
        return "".join(_ANSI[part] for part in style.split()) + text + _RESET


def render_plan(plan: Plan, *, color: bool, detailed: bool = False, totals: bool | None = None) -> str:
    """The plan as text (no trailing newline); ANSI colour only when ``color``; one block per
    action when ``detailed``, else one per pool and kind of action; the stack's monthly total
    with ``totals`` (default: when it has a budget)."""
    paint = _Painter(color)
    lines: list[str] = []
    if plan.targets:
        lines += [paint(printable(targeting_note(plan)), "yellow"), ""]
    if not plan.has_changes:
        lines.append(paint(NO_CHANGES, "bold green"))
        if plan.waiting:
            lines += ["", paint(WAITING_HEADING, "bold"), *waiting_lines(plan)]
        footer = _account_footer(plan)
        if footer:
            lines += ["", footer]
        total = monthly_total(plan) if shows_totals(plan, totals) else None
        if total:
            lines += ["", f"Stack total: {total}."]
        return "\n".join(lines)

    lines.append(f"orbitctl will perform the following actions on stack {format_value(plan.stack)}:")
    lines.append("")
    lines += _legend(plan, paint)
    for block in group(plan.actions, detailed=detailed):
        lines.append("")
        lines += _block(block, plan.currency, paint)
    lines.append("")
    if plan.waiting:
        lines += [paint(WAITING_HEADING, "bold"), *waiting_lines(plan), ""]
    for note in plan.availability:
        lines += [paint("Note:", "bold") + " " + availability_note(note, plan.currency), ""]
    if plan.suggested_moves:
        lines += [paint(rename_hint(plan), "yellow"), "", *(f"  {line}" for line in moved_lines(plan)), ""]
    footer = _account_footer(plan)
    if footer:
        lines += [footer, ""]
    summary = summary_line(plan, totals=totals)
    lines.append(paint("Plan:", "bold") + summary[len("Plan:") :] if color else summary)
    return "\n".join(lines)


def _legend(plan: Plan, paint: _Painter) -> list[str]:
    present = {SYMBOLS[action.kind] for action in plan.actions}
    lines = ["Actions are shown with these symbols:"]
    for symbol, meaning in LEGEND:
        if symbol in present:
            lines.append(f"{paint(f'{symbol:>3}', _SYMBOL_STYLE[symbol])} {meaning}")
    return lines


def _account_footer(plan: Plan) -> str:
    """``5 numbers unchanged. On the account: 3 unmanaged numbers, 2 numbers of other stacks.``"""
    sentences = []
    if plan.unchanged:
        sentences.append(f"{count_numbers(plan.unchanged)} unchanged.")
    if plan.waiting:
        sentences.append(f"{count_numbers(len(plan.waiting))} being ported in.")
    others = []
    if plan.unmanaged:
        others.append(count_numbers(plan.unmanaged, "unmanaged "))
    if plan.foreign:
        others.append(f"{count_numbers(plan.foreign)} of other stacks")
    if others:
        sentences.append(f"On the account: {', '.join(others)}.")
    return " ".join(sentences)


def count_numbers(count: int, adjective: str = "") -> str:
    """``1 number``, ``3 unmanaged numbers``."""
    return f"{count} {adjective}number{'' if count == 1 else 's'}"


def block_lines(block: Block, currency: str, *, color: bool = False) -> list[str]:
    """The lines of one block: its ``#`` headline, symbol and name, facts and changes."""
    return _block(block, currency, _Painter(color))


def _block(block: Block, currency: str, paint: _Painter) -> list[str]:
    action = block.first
    symbol = SYMBOLS[action.kind]
    title = f"{paint(f'{symbol:>3}', _SYMBOL_STYLE[symbol])} {paint(printable(action.name), 'bold')}"
    if block.count > 1:
        title += "  " + "  ".join(_group_title(block, currency))
    lines = ["  " + paint(headline(block), "bold"), title]
    facts = _facts(action, currency) if block.count == 1 else _group_facts(block, currency)
    changes = displayed_changes(action)
    width = max([len(key) for key, _ in facts] + [len(change.key) for change in changes], default=0) + 1
    for key, text in facts:
        lines.append(f"        {(key + ':').ljust(width)} {text}")
    adding = action.kind in BUYING_KINDS and not action.changes
    for change in changes:
        leaves = change_leaves(change)
        whole = len(leaves) == 1 and leaves[0].path == ()
        sign = "+" if adding else "~"
        key = (printable(change.key) + ":").ljust(width)
        head = f"      {paint(sign, _SYMBOL_STYLE[sign])} {key}"
        if whole:
            lines.append(f"{head} {_leaf_text(leaves[0], adding)}")
            continue
        lines.append(head.rstrip())
        for leaf in leaves:
            path = ".".join(printable(part) for part in leaf.path)
            lines.append(f"          {paint(leaf.sign, _SYMBOL_STYLE[leaf.sign])} {path}: {_leaf_text(leaf, False)}")
    if block.count > 1 and block.names_numbers:
        lines += _released_numbers(block, currency, paint)
    return lines


def _facts(action: Action, currency: str) -> list[tuple[str, str]]:
    """The facts of a block of one action: what it touches, buys and costs, and why."""
    facts: list[tuple[str, str]] = []
    if action.kind in (ActionKind.PURCHASE, ActionKind.PORT):
        facts.append(("number", printable(action.number) if action.number else "(known after purchase)"))
    else:
        facts.append(("id", printable(action.id) if action.id else "(unknown)"))
        facts.append(("number", printable(action.number) if action.number else "(unknown)"))
    if action.previous_name and action.kind is not ActionKind.MOVE:
        facts.append(("previous name", printable(action.previous_name)))
    if action.kind in BUYING_KINDS and action.selection is not None:
        label = "new number" if action.kind is ActionKind.REPLACE else "selection"
        facts.append((label, describe_selection(action.selection, currency)))
    if action.port_in is not None:
        facts.append(("from", describe_port_in(action.port_in)))
        facts.append(("monthly cost", "none until the number arrives"))
    cost = _cost_fact(action, currency)
    if cost:
        facts.append(("monthly cost", cost))
    if action.reason:
        facts.append(("reason", printable(action.reason)))
    return facts


def _group_title(block: Block, currency: str) -> list[str]:
    """What follows the name on a block of several actions: ``300 to purchase``, what it buys,
    the price of each and the monthly total: ``any US local number, with sms``, ``1.50 USD each``,
    ``(+450.00 USD/month)``."""
    action = block.first
    parts = [f"{block.count} to {action.kind.value}"]
    if action.kind in BUYING_KINDS and action.selection is not None:
        new = "new: " if action.kind is ActionKind.REPLACE else ""
        parts.append(new + describe_selection(action.selection, currency))
    costs = [member.monthly_cost for member in block.actions if member.monthly_cost is not None]
    if costs:
        low, high = min(costs), max(costs)
        each = format_money(low) if low == high else f"{format_money(low)} to {format_money(high)}"
        if action.kind in BUYING_KINDS:
            parts.append(f"{each} {currency} each")
        parts.append(f"({format_delta(cost_delta(block.actions), currency)})")
    return parts


def _group_facts(block: Block, currency: str) -> list[tuple[str, str]]:
    """The facts a block of several actions states once: the previous name, the reason."""
    action = block.first
    facts: list[tuple[str, str]] = []
    if action.previous_name and action.kind is not ActionKind.MOVE:
        facts.append(("previous name", printable(action.previous_name)))
    reasons = {member.reason for member in block.actions}
    if len(reasons) == 1 and action.reason:
        facts.append(("reason", printable(action.reason)))
    return facts


def _released_numbers(block: Block, currency: str, paint: _Painter) -> list[str]:
    """One line per number a block releases: ``- +14155550100  num_abc  1.50 USD/month`` (and its
    reason when the block's reasons differ)."""
    reasons = {member.reason for member in block.actions}
    lines = []
    for member in block.actions:
        parts = [printable(member.number or "(unknown)"), printable(member.id or "(unknown)")]
        saved = member.previous_monthly_cost if member.kind is ActionKind.REPLACE else member.monthly_cost
        if saved is not None:
            parts.append(f"{format_money(saved)} {currency}/month")
        if len(reasons) > 1 and member.reason:
            parts.append(printable(member.reason))
        lines.append(f"      {paint('-', _SYMBOL_STYLE['-'])} " + "  ".join(parts))
    return lines


def _cost_fact(action: Action, currency: str) -> str:
    """``1.25 USD (was 1.00 USD)`` for a replace, ``1.00 USD (no longer paid)`` for a release."""
    if action.monthly_cost is None:
        return ""
    text = f"{format_money(action.monthly_cost)} {currency}"
    if action.kind is ActionKind.RELEASE:
        return text + " (no longer paid)"
    if action.kind is ActionKind.REPLACE and action.previous_monthly_cost is not None:
        return text + f" (was {format_money(action.previous_monthly_cost)} {currency})"
    return text


def _leaf_text(leaf, adding: bool) -> str:
    if adding or leaf.sign == "+":
        return format_value(leaf.after)
    if leaf.sign == "-":
        return format_value(leaf.before)
    text = f"{format_value(leaf.before)} → {format_value(leaf.after)}"
    if leaf.hidden_change:
        text += " (sensitive value changed)"
    return text
