"""What apply did: one outcome per action, and the whole result with its summary line and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from orbitctl.model import ACTION_KINDS, ALWAYS_SUMMARISED, DEFAULT_CURRENCY, Action, ActionKind
from orbitctl.values import format_delta

JSON_FORMAT_VERSION = "1"


class Status(str, Enum):
    """How one action ended."""

    #: done as asked (a purchase in regulatory hold is done too: see ``ActionOutcome.held``)
    OK = "ok"
    #: not done, or done only in part; the message says what happened and what to do
    FAILED = "failed"
    #: not tried: apply was interrupted (a signal) before it started
    NOT_STARTED = "not_started"


#: The past tense of each kind, for the summary line.
PAST_TENSE = {
    ActionKind.PURCHASE: "purchased",
    ActionKind.PORT: "submitted for porting",
    ActionKind.ADOPT: "adopted",
    ActionKind.UPDATE: "updated",
    ActionKind.REPLACE: "replaced",
    ActionKind.RELEASE: "released",
    ActionKind.ORPHAN: "orphaned",
    ActionKind.MOVE: "moved",
}


@dataclass(frozen=True)
class Mismatch:
    """A configuration key the API did not take as asked (found by the read-back after a PUT)."""

    key: str
    asked: Any
    got: Any

    def __str__(self) -> str:
        return f"{self.key}: asked {self.asked!r}, the API has {self.got!r}"


@dataclass(frozen=True)
class ActionOutcome:
    """The outcome of one action.

    ``id``/``number`` are those of the number the action ended on (for a purchase or replace: the
    new number, if one was bought; ``released_id``/``released_number`` then name the old one).
    """

    action: Action
    status: Status
    message: str = ""
    id: str | None = None
    number: str | None = None
    released_id: str | None = None
    released_number: str | None = None
    #: monthly cost added (a number bought) and saved (a number released)
    cost_added: Decimal = Decimal("0")
    cost_saved: Decimal = Decimal("0")
    currency: str | None = None
    #: the purchase landed in regulatory hold (it is still done)
    held: bool = False
    #: the number was bought but not configured: recorded in the purchase journal
    journaled: bool = False
    #: a purchase that found no number: the inventory had none left for its selection
    out_of_stock: bool = False
    mismatches: tuple[Mismatch, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "action": self.action.kind.value,
            "name": self.action.name,
            "status": self.status.value,
            "id": self.id,
            "number": self.number,
        }
        if self.action.previous_name:
            doc["previous_name"] = self.action.previous_name
        if self.released_id or self.released_number:
            doc["released_id"] = self.released_id
            doc["released_number"] = self.released_number
        if self.held:
            doc["regulatory_hold"] = True
        if self.journaled:
            doc["journaled"] = True
        if self.out_of_stock:
            doc["out_of_stock"] = True
        if self.mismatches:
            doc["mismatches"] = [
                {"key": m.key, "asked": m.asked, "got": m.got} for m in self.mismatches
            ]
        if self.message:
            doc["message"] = self.message
        return doc


@dataclass(frozen=True)
class ApplyResult:
    """Every action's outcome, in the order the plan listed the actions."""

    stack: str
    outcomes: tuple[ActionOutcome, ...]
    currency: str = DEFAULT_CURRENCY
    #: numbers of the manifest's entries beyond what each wants, found after the purchases (another
    #: apply bought at the same time): the releases the next plan lists
    surplus: tuple[Action, ...] = ()

    @property
    def failed(self) -> tuple[ActionOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.status is Status.FAILED)

    @property
    def not_started(self) -> tuple[ActionOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.status is Status.NOT_STARTED)

    @property
    def complete(self) -> bool:
        """Every action done as asked, and no entry left with more numbers than it wants."""
        return all(outcome.ok for outcome in self.outcomes) and not self.surplus

    @property
    def succeeded(self) -> tuple[ActionOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.ok)

    @property
    def held(self) -> tuple[ActionOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.held)

    @property
    def journaled(self) -> tuple[ActionOutcome, ...]:
        return tuple(outcome for outcome in self.outcomes if outcome.journaled)

    def done(self, kind: ActionKind) -> int:
        """How many actions of ``kind`` succeeded."""
        return sum(1 for outcome in self.succeeded if outcome.action.kind is kind)

    @property
    def monthly_cost_delta(self) -> Decimal:
        """What the account's monthly bill changed by: numbers bought minus numbers released
        (by every action that did so, failed or not: a bought number is billed either way)."""
        return sum(
            (outcome.cost_added - outcome.cost_saved for outcome in self.outcomes), Decimal("0")
        )

    def summary_line(self) -> str:
        """``Apply complete: 3 purchased, 2 updated, 1 released (+3.00 USD/month).``"""
        parts = []
        for kind in ACTION_KINDS:
            count = self.done(kind)
            if count or kind in ALWAYS_SUMMARISED:
                parts.append(f"{count} {PAST_TENSE[kind]}")
        if self.held:
            parts.append(f"{len(self.held)} in regulatory hold")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        if self.not_started:
            parts.append(f"{len(self.not_started)} not started")
        if self.surplus:
            parts.append(f"{len(self.surplus)} surplus")
        head = "Apply interrupted" if self.not_started else "Apply complete" if self.complete else (
            "Apply finished with errors"
        )
        return f"{head}: {', '.join(parts)} ({format_delta(self.monthly_cost_delta, self.currency)})."

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": JSON_FORMAT_VERSION,
            "stack": self.stack,
            "summary": {
                **{kind.value: self.done(kind) for kind in ACTION_KINDS},
                "failed": len(self.failed),
                "not_started": len(self.not_started),
                "regulatory_hold": len(self.held),
            },
            "monthly_cost_delta": str(self.monthly_cost_delta.quantize(Decimal("0.01"))),
            "currency": self.currency,
            "outcomes": [outcome.to_json() for outcome in self.outcomes],
            **({"surplus": [_surplus_json(action) for action in self.surplus]} if self.surplus else {}),
        }


def _surplus_json(action: Action) -> dict[str, Any]:
    return {"name": action.name, "id": action.id, "number": action.number}
