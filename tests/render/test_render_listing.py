"""orbitctl/render/listing.py: ownership as seen from a stack, and hostile strings kept inert."""

from __future__ import annotations

from decimal import Decimal

from orbitctl.frozen import freeze
from orbitctl.model import Live, LiveNumber, Owner
from orbitctl.render import listing


def number(index: int, owner: Owner | None, **config) -> LiveNumber:
    return LiveNumber(
        id=f"num_{index}", number=f"+1415555010{index}", country="US", type="local", status="active",
        monthly_cost=Decimal("1.5"), currency="USD", created_at="2026-03-08T12:00:00Z", config=freeze(config),
        owner=owner,
    )


LIVE = Live(numbers=(
    number(1, Owner("prod", "b")),
    number(2, None, label="free"),
    number(3, Owner("ci", "a")),
    number(4, Owner("prod", "a")),
))


def test_ownership_depends_on_the_stack_in_view():
    assert [listing.ownership(n, None) for n in LIVE.numbers] == ["managed", "unmanaged", "managed", "managed"]
    assert [listing.ownership(n, "prod") for n in LIVE.numbers] == ["managed", "unmanaged", "foreign", "managed"]
    assert [listing.ownership(n, "dev") for n in LIVE.numbers] == ["foreign", "unmanaged", "foreign", "foreign"]


def test_rows_list_the_stack_in_view_first_then_unmanaged_then_foreign():
    assert [n.id for n in listing.listed(LIVE, "prod")] == ["num_4", "num_1", "num_2", "num_3"]
    assert [n.id for n in listing.listed(LIVE, "ci")] == ["num_3", "num_2", "num_4", "num_1"]
    assert [n.id for n in listing.listed(LIVE, None)] == ["num_3", "num_4", "num_1", "num_2"]


def test_control_characters_in_labels_and_names_cannot_reach_the_terminal():
    hostile = Live(numbers=(number(1, None, label="x\x1b[2Jy\nz"),))
    table = listing.render_table(hostile, None)
    entry = listing.render_entry("prod", "a\x1b", [number(1, None, label="x\x1b[2J")])
    for text in (table, entry):
        assert "\x1b" not in text
    assert "x\\x1b[2Jy\\x0az" in table and len(table.splitlines()) == 2


def test_summary_counts_entries_and_names_the_other_stacks():
    assert listing.summary(LIVE, "prod") == (
        "prod: 2 numbers in 2 entries. Also on the account: 1 unmanaged number, 1 number of other stacks (ci)."
    )
    assert listing.summary(Live(numbers=()), None) == "0 managed numbers in 0 stacks."
