"""ApplyResult: the summary line and the JSON document of per-action outcomes."""

from __future__ import annotations

import re
from decimal import Decimal

from orbitctl.apply.outcome import ActionOutcome, ApplyResult, Mismatch, Status
from orbitctl.model import Action, ActionKind


def outcome(kind: ActionKind, status: Status = Status.OK, **fields) -> ActionOutcome:
    return ActionOutcome(Action(kind=kind, name=f"{kind.value}-entry"), status, **fields)


def test_summary_line_names_purchase_update_release_and_the_cost():
    result = ApplyResult(
        stack="prod",
        outcomes=(
            *[outcome(ActionKind.PURCHASE, cost_added=Decimal("1.00")) for _ in range(3)],
            outcome(ActionKind.UPDATE),
            outcome(ActionKind.UPDATE),
            outcome(ActionKind.RELEASE, cost_saved=Decimal("0.00")),
        ),
    )
    assert result.summary_line() == "Apply complete: 3 purchased, 2 updated, 1 released (+3.00 USD/month)."


def test_summary_line_names_other_kinds_failures_and_holds():
    result = ApplyResult(
        stack="prod",
        outcomes=(
            outcome(ActionKind.ADOPT),
            outcome(ActionKind.PURCHASE, held=True, cost_added=Decimal("2.5")),
            outcome(ActionKind.PURCHASE, Status.FAILED, journaled=True, cost_added=Decimal("1")),
            outcome(ActionKind.RELEASE, cost_saved=Decimal("5")),
        ),
    )
    assert result.summary_line() == (
        "Apply finished with errors: 1 purchased, 1 adopted, 0 updated, 1 released, "
        "1 in regulatory hold, 1 failed (-1.50 USD/month)."
    )


def test_json_document_has_every_outcome_and_counts():
    failed = outcome(
        ActionKind.UPDATE, Status.FAILED, id="num_1", number="+14155550100",
        message="the API did not take: label", mismatches=(Mismatch("label", "A", "B"),),
    )
    document = ApplyResult(stack="prod", outcomes=(outcome(ActionKind.PURCHASE, id="num_2"), failed)).to_json()
    assert document["summary"]["purchase"] == 1 and document["summary"]["update"] == 0
    assert document["summary"]["failed"] == 1
    assert document["outcomes"][1] == {
        "action": "update", "name": "update-entry", "status": "failed", "id": "num_1",
        "number": "+14155550100", "mismatches": [{"key": "label", "asked": "A", "got": "B"}],
        "message": "the API did not take: label",
    }


def test_apply_and_plan_state_a_cost_delta_alike():
    """One formatter for both summaries: even a sub-cent delta reads the same in plan and apply."""
    from orbitctl.model import Plan
    from orbitctl.render.text import summary_line

    for delta in (Decimal("3"), Decimal("-1.5"), Decimal("0"), Decimal("0.005")):
        cost = {"cost_added": delta} if delta >= 0 else {"cost_saved": -delta}
        applied = ApplyResult(stack="prod", outcomes=(outcome(ActionKind.PURCHASE, **cost),), currency="USD")
        planned = Plan(stack="prod", actions=(), unchanged=0, monthly_cost_delta=delta, currency="USD")
        stated = re.search(r"\(([^()]*/month)\)", summary_line(planned)).group(1)
        assert applied.summary_line().endswith(f"({stated}).")
