"""The account as ``orbitctl list`` shows it: one row per number with the stack and entry that own
it, or one entry's numbers with their configuration (like ``terraform state list`` / ``show``).

Ownership is read from the ownership tag alone (``LiveNumber.owner``). With a stack in view, a
number is ``managed`` (that stack's), ``foreign`` (another stack's) or ``unmanaged`` (no
ownership tag); with none, every tagged number is ``managed``. Configuration values are masked
as in the plan renderings (``orbitctl.values``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from orbitctl.model import CONFIG_KEYS, Live, LiveNumber
from orbitctl.values import escape_surrogates, format_money, format_value, mask_at, printable

MANAGED, UNMANAGED, FOREIGN = "managed", "unmanaged", "foreign"
#: The order rows are listed in: the stack in view first.
OWNERSHIP_ORDER = (MANAGED, UNMANAGED, FOREIGN)

TABLE_COLUMNS = ("NUMBER", "ID", "OWNERSHIP", "STACK", "ENTRY", "STATUS", "TYPE", "LABEL")

#: What a table cell shows where a number has no stack or entry.
NONE_CELL = "-"


def ownership(number: LiveNumber, stack: str | None) -> str:
    """``managed``, ``foreign`` or ``unmanaged`` as seen from ``stack`` (None: from no stack)."""
    if number.owner is None:
        return UNMANAGED
    if stack is None or number.owner.stack == stack:
        return MANAGED
    return FOREIGN


def _row_key(number: LiveNumber, stack: str | None) -> tuple:
    owner = number.owner
    return (
        OWNERSHIP_ORDER.index(ownership(number, stack)),
        owner.stack if owner else "",
        owner.name if owner else "",
        number.number,
        number.id,
    )


def listed(live: Live, stack: str | None) -> list[LiveNumber]:
    """Every number, the stack in view's first, then unmanaged, then other stacks'; within a
    group by stack, entry and number."""
    return sorted(live.numbers, key=lambda number: _row_key(number, stack))


def counts(live: Live, stack: str | None) -> Counter:
    return Counter(ownership(number, stack) for number in live.numbers)


def number_to_dict(number: LiveNumber, stack: str | None) -> dict[str, Any]:
    """One row of ``list --output json``."""
    owner = number.owner
    return {
        "number": number.number,
        "id": number.id,
        "ownership": ownership(number, stack),
        "stack": owner.stack if owner else None,
        "entry": owner.name if owner else None,
        "country": number.country,
        "type": number.type,
        "status": number.status,
        "label": number.config.get("label"),
        "monthly_cost": format_money(number.monthly_cost),
        "currency": number.currency,
        "created_at": number.created_at,
    }


def render_listing_json(live: Live, stack: str | None) -> str:
    """``{"stack", "numbers": [...], "counts": {managed, unmanaged, foreign}}``."""
    tally = counts(live, stack)
    document = {
        "stack": stack,
        "numbers": [number_to_dict(number, stack) for number in listed(live, stack)],
        "counts": {kind: tally.get(kind, 0) for kind in OWNERSHIP_ORDER},
    }
    return escape_surrogates(json.dumps(document, indent=2, ensure_ascii=False))


def render_table(live: Live, stack: str | None) -> str:
    """The numbers as an aligned table with a header row (no trailing newline)."""
    rows = [TABLE_COLUMNS]
    for number in listed(live, stack):
        owner = number.owner
        label = number.config.get("label")
        rows.append((
            number.number,
            number.id,
            ownership(number, stack),
            owner.stack if owner else NONE_CELL,
            owner.name if owner else NONE_CELL,
            number.status,
            number.type,
            label if isinstance(label, str) else "",
        ))
    cells = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(TABLE_COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in cells)


def summary(live: Live, stack: str | None) -> str:
    """``prod: 3 numbers in 2 entries. Also on the account: 1 unmanaged number, 2 numbers of
    other stacks (ci).`` (with no stack in view: the stacks and the unmanaged count)."""
    tally = counts(live, stack)
    managed = [number for number in live.numbers if ownership(number, stack) == MANAGED]
    entries = {(number.owner.stack, number.owner.name) for number in managed if number.owner}
    if stack is not None:
        head = f"{stack}: {_numbers(len(managed))} in {_count(len(entries), 'entry', 'entries')}."
    else:
        stacks = sorted({owner_stack for owner_stack, _ in entries})
        head = (f"{_numbers(len(managed), 'managed ')} in {_count(len(stacks), 'stack')}"
                + (f" ({', '.join(stacks)})" if stacks else "") + ".")
    others = []
    if tally[UNMANAGED]:
        others.append(_numbers(tally[UNMANAGED], "unmanaged "))
    if tally[FOREIGN]:
        foreign = sorted({n.owner.stack for n in live.numbers if n.owner and ownership(n, stack) == FOREIGN})
        others.append(f"{_numbers(tally[FOREIGN])} of other stacks ({', '.join(foreign)})")
    if others:
        head += f" {'Also on the account' if stack is not None else 'On the account'}: {', '.join(others)}."
    return printable(head)


def _count(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _numbers(count: int, adjective: str = "") -> str:
    return _count(count, f"{adjective}number")


# --- one entry --------------------------------------------------------------------------------


def entry_numbers(live: Live, stack: str, name: str) -> list[LiveNumber]:
    """The numbers tagged for entry ``name`` of ``stack``, oldest first."""
    members = [n for n in live.numbers if n.owner is not None and (n.owner.stack, n.owner.name) == (stack, name)]
    return sorted(members, key=lambda number: (number.created_at, number.position, number.id))


def _facts(number: LiveNumber) -> list[tuple[str, str]]:
    """What ``list NAME`` shows of a number: its facts, then each observed configuration key
    (masked, formatted as in the plan)."""
    facts = [
        ("country", printable(number.country)),
        ("type", printable(number.type)),
        ("status", printable(number.status)),
        ("monthly_cost", printable(f"{format_money(number.monthly_cost)} {number.currency}")),
        ("created_at", printable(number.created_at)),
    ]
    for key in CONFIG_KEYS:
        if key in number.config and key != "status":
            facts.append((key, format_value(mask_at((key,), number.config[key]))))
    return facts


def render_entry(stack: str, name: str, numbers: Sequence[LiveNumber]) -> str:
    """One entry's numbers, each with its configuration (no trailing newline)."""
    lines = [printable(f"# {stack}/{name}: {_numbers(len(numbers))}")]
    for number in numbers:
        facts = _facts(number)
        width = max(len(key) for key, _ in facts) + 1
        lines += ["", printable(f"{number.number} ({number.id})")]
        lines += [f"    {(key + ':').ljust(width)} {text}" for key, text in facts]
    return "\n".join(lines)


def render_entry_json(stack: str, name: str, numbers: Sequence[LiveNumber]) -> str:
    """``{"stack", "entry", "numbers": [{number, id, ..., "config": {...}}]}``, values masked."""
    document = {
        "stack": stack,
        "entry": name,
        "numbers": [
            {
                "number": number.number,
                "id": number.id,
                "country": number.country,
                "type": number.type,
                "status": number.status,
                "monthly_cost": format_money(number.monthly_cost),
                "currency": number.currency,
                "created_at": number.created_at,
                "config": {key: mask_at((key,), number.config[key]) for key in CONFIG_KEYS if key in number.config},
            }
            for number in numbers
        ],
    }
    return escape_surrogates(json.dumps(document, indent=2, ensure_ascii=False))
