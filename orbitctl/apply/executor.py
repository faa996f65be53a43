"""Carry out a Plan: the porting requests, then three groups in order, each run concurrently,
every outcome recorded.

0. port actions, one porting request per carrier and authorisation (``porting.py``), each
   recorded before it is sent;
1. purchases, adopts, and the new number of each replace;
2. updates, moves and orphans;
3. the old number of each replace (only once its new number is bought and configured), releases;
   each released only if a fresh read shows it as it was planned (so are numbers whose tags,
   and so whose owner, a PUT rewrites).

Within a group up to ``parallelism`` actions run at once. One failed action does not stop the
others. Once ``stop`` is set (a signal), no action starts: those under way finish (what they buy
is journaled from before it is sent), the others end NOT_STARTED. Gates (``gates.py``) are checked
before this runs; the executor only executes.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypedDict

from orbitctl.account.api import DEFAULT_PARALLELISM, NotFoundError, OrbitError
from orbitctl.account.observe import live_number
from orbitctl.apply import porting
from orbitctl.apply.configure import check_returned, existing_number_body, put_body, rewrites_tags
from orbitctl.apply.journal import account_of, intent_key
from orbitctl.apply.outcome import ActionOutcome, ApplyResult, Mismatch, Status
from orbitctl.apply.ports import PortBook
from orbitctl.apply.purchase import OfferBook, buys_by_selection, out_of_stock_message, purchase_and_configure
from orbitctl.apply.routing import CONFIGURE_REQUEST, ROUTING_REQUEST, existing_number_routing, send_routing
from orbitctl.model import (
    BUYING_KINDS,
    RELEASING_KINDS,
    Action,
    ActionKind,
    Live,
    LiveNumber,
    Plan,
    Selection,
    SelectionKey,
)

#: Called once per finished action, never from two threads at once.
ProgressCallback = Callable[[ActionOutcome], None]

#: Kinds only configured (a PUT): adopts in the first group, beside what BUYING_KINDS buy; the
#: rest in the second. RELEASING_KINDS release in the third (a replace buys, then releases).
_PUT_KINDS_FIRST = frozenset({ActionKind.ADOPT})
_PUT_KINDS_SECOND = frozenset({ActionKind.UPDATE, ActionKind.MOVE, ActionKind.ORPHAN})


class _Run:
    """One apply: the client, the journal, what is known of the account, and the outcomes."""

    def __init__(
        self,
        plan: Plan,
        client: Any,
        journal: Any,
        live: Live | None,
        progress: ProgressCallback | None,
        parallelism: int = 1,
    ):
        self.plan = plan
        self.client = client
        self.journal = journal
        self.live = {number.id: number for number in live.numbers} if live else {}
        self.book = OfferBook.for_actions(client, plan.actions, parallelism=parallelism, surveys=plan.surveys)
        #: entries that stopped buying: another apply buys on the account at the same time
        self.halted: set[str] = set()
        self._progress = progress
        self._progress_lock = threading.Lock()

    def report(self, outcome: ActionOutcome) -> None:
        if self._progress is not None:
            with self._progress_lock:
                self._progress(outcome)

    # --- the steps -------------------------------------------------------------------------

    def buy(self, action: Action) -> ActionOutcome:
        return purchase_and_configure(
            action, client=self.client, book=self.book, journal=self.journal, stack=self.plan.stack, halted=self.halted
        )

    def unchanged_since_plan(self, action: Action) -> LiveNumber | None:
        """The number as the account holds it now; None when it changed since the plan was made
        (retagged, say, by someone else while apply waited for confirmation)."""
        number = live_number(self.client.get_number(action.id))
        if action.live_fingerprint and number.fingerprint != action.live_fingerprint:
            return None
        return number

    def configure(self, action: Action) -> ActionOutcome:
        """Adopt, update, move, orphan: the configure PUT, then the routing request (``agent_id``),
        each only when it has something to change and each read back. A PUT that rewrites the
        tags (and so who owns the number) is sent only if a fresh read shows the number as
        planned; the routing request is not sent when the PUT failed or its tags were not taken.
        When an action makes both requests and one fails, the outcome says which."""
        assert action.id is not None and action.number is not None, "the planner names the live number"
        found = _Found(id=action.id, number=action.number)
        routing = existing_number_routing(action)
        try:
            live_tags = None
            if rewrites_tags(action):
                current = self.unchanged_since_plan(action)
                if current is None:
                    return _changed_since_plan(action, "changed")
                live_tags = current.raw_tags
            body = existing_number_body(action, stack=self.plan.stack, live_tags=live_tags)
            if not body and not routing:
                return ActionOutcome(action, Status.OK, "nothing to change", **found)
            mismatches: tuple[Mismatch, ...] = ()
            if body:
                returned = self.client.configure(action.id, **put_body(body))
                mismatches = check_returned(self.client, action.id, body, returned)
        except NotFoundError:
            return ActionOutcome(
                action, Status.FAILED, f"{action.number or action.id} is no longer on the account", **found
            )
        except OrbitError as problem:
            if routing:
                message = f"{CONFIGURE_REQUEST} failed: {problem}; {ROUTING_REQUEST} was not sent"
            else:
                message = str(problem)
            return ActionOutcome(action, Status.FAILED, message, **found)
        tags_taken = not any(mismatch.key == "tags" for mismatch in mismatches)
        if body and tags_taken and action.tag and action.id:
            # it carries its tag now: bought, or sent by an earlier apply
            self.journal.clear(action.id, *([intent_key(self.plan.stack, action.number)] if action.number else []))
        routed = ""
        if routing and not tags_taken:
            routed = f"; {ROUTING_REQUEST} was not sent"
        elif routing:
            try:
                mismatches += send_routing(
                    self.client, number_id=action.id, phone_number=action.number, wanted=routing
                )
            except OrbitError as problem:
                done = f"{CONFIGURE_REQUEST} succeeded; " if body and not mismatches else ""
                taken = f"; the API did not take: {_listed(mismatches)}" if mismatches else ""
                return ActionOutcome(
                    action, Status.FAILED, f"{done}{ROUTING_REQUEST} failed: {problem}{taken}",
                    mismatches=mismatches, **found,
                )
        if mismatches:
            return ActionOutcome(
                action, Status.FAILED, f"the API did not take: {_listed(mismatches)}{routed}",
                mismatches=mismatches, **found,
            )
        return ActionOutcome(action, Status.OK, **found)

    def release(self, action: Action) -> ActionOutcome:
        """DELETE, only if a fresh read shows the number as planned; a number already gone
        counts as released."""
        number = self.live.get(action.id or "")
        saved = _release_saving(action, number)
        found = _Found(id=action.id, number=action.number)
        try:
            if self.unchanged_since_plan(action) is None:
                return _changed_since_plan(action, "released")
            self.client.release(action.id)
        except NotFoundError:
            return ActionOutcome(action, Status.OK, f"{action.number or action.id} was already gone", **found)
        except OrbitError as problem:
            return ActionOutcome(action, Status.FAILED, str(problem), **found)
        return ActionOutcome(action, Status.OK, cost_saved=saved, currency=number.currency if number else None, **found)

    def release_replaced(self, action: Action, bought: ActionOutcome) -> ActionOutcome:
        """The second half of a replace: release the old number once the new one is in place."""
        if not bought.ok:
            kept = f"; the old number {action.number} was kept" if action.number else ""
            return replace(bought, message=bought.message + kept)
        released = self.release(action)
        merged = replace(
            bought,
            released_id=action.id,
            released_number=action.number,
            cost_saved=released.cost_saved,
        )
        if not released.ok:
            return replace(
                merged,
                status=Status.FAILED,
                message=f"{bought.message}; releasing the old number {action.number} failed: {released.message}",
            )
        return replace(merged, message=f"{bought.message}; released {action.number}")


def _not_started(action: Action) -> ActionOutcome:
    return ActionOutcome(
        action, Status.NOT_STARTED, "not started: apply was interrupted", id=action.id, number=action.number
    )


def _interrupted_replace(action: Action, bought: ActionOutcome) -> ActionOutcome:
    """A replace whose new number was bought, stopped before its old number was released."""
    if not bought.ok:
        return bought
    return replace(
        bought,
        status=Status.FAILED,
        message=f"{bought.message}; interrupted before releasing the old number {action.number} (plan again)",
    )


class _Found(TypedDict):
    """The number an outcome is about, as ``ActionOutcome`` keywords."""

    id: str | None
    number: str | None


def _listed(mismatches: tuple[Mismatch, ...]) -> str:
    return "; ".join(str(mismatch) for mismatch in mismatches)


def _changed_since_plan(action: Action, verb: str) -> ActionOutcome:
    return ActionOutcome(
        action,
        Status.FAILED,
        f"not {verb}: {action.number or action.id} changed on the account since the plan was made "
        "(its tags or configuration); plan again",
        id=action.id,
        number=action.number,
    )


def _release_saving(action: Action, number: LiveNumber | None) -> Decimal:
    if action.kind is ActionKind.REPLACE and action.previous_monthly_cost is not None:
        return action.previous_monthly_cost
    if number is not None:
        return number.monthly_cost
    return action.monthly_cost or Decimal("0")


def _count_out_of_stock(plan: Plan, *groups: dict[int, ActionOutcome]) -> None:
    """Say in each purchase that found no number how many of its selection's are missing in all,
    known once every purchase has ended (``groups``: the outcomes by action index, rewritten)."""
    short: dict[SelectionKey, list[tuple[int, dict[int, ActionOutcome]]]] = {}
    selections: dict[SelectionKey, Selection] = {}
    for outcomes in groups:
        for index, outcome in outcomes.items():
            selection = outcome.action.selection
            if outcome.out_of_stock and selection is not None:
                selections[selection.key()] = selection
                short.setdefault(selection.key(), []).append((index, outcomes))
    wanted = buys_by_selection(plan.actions)
    for key, found in short.items():
        found.sort(key=lambda item: item[0])
        names = Counter(outcomes[index].action.name for index, outcomes in found)
        message = out_of_stock_message(selections[key], names, wanted[key])
        for index, outcomes in found:
            outcomes[index] = replace(outcomes[index], message=message)


def _submitted(group: list[Action], run: _Run, book: PortBook, environ: Mapping[str, str]) -> list[ActionOutcome]:
    """One porting request; a bug in it fails its actions only, never the others."""
    try:
        return porting.submit(
            group, client=run.client, book=book, stack=run.plan.stack, account=account_of(run.client), environ=environ
        )
    except Exception as problem:  # one request's failure must not stop the rest
        message = f"unexpected error: {type(problem).__name__}: {problem}"
        return [ActionOutcome(action, Status.FAILED, message, number=action.number) for action in group]


def _guarded(step: Callable[[Action], ActionOutcome], action: Action) -> ActionOutcome:
    """Run one step; a bug in it fails that action only, never the others."""
    try:
        return step(action)
    except Exception as problem:  # one action's failure must not stop the rest
        return ActionOutcome(action, Status.FAILED, f"unexpected error: {type(problem).__name__}: {problem}")


#: One unit of work: the action's index in the plan, the action, the step to run, and whether its
#: outcome is the action's final one (the first half of a replace is not).
_Step = tuple[int, Action, Callable[[Action], ActionOutcome], bool]


def execute(
    plan: Plan,
    client: Any,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    journal: Any,
    progress: ProgressCallback | None = None,
    live: Live | None = None,
    ports: PortBook | None = None,
    environ: Mapping[str, str] | None = None,
    stop: threading.Event | None = None,
) -> ApplyResult:
    """Carry out ``plan`` with ``client``; the outcomes come back in the plan's order.

    ``journal`` is a :class:`orbitctl.apply.journal.Journal` (every purchase is written there
    before it is sent); ``ports`` the :class:`PortBook` porting requests are written to before
    they are sent (default: the checkout's), their PINs read from ``environ`` (default:
    ``os.environ``); ``live`` is the observation the plan was made from (for the costs releases
    save). ``progress`` is called once per finished action. Once ``stop`` is set, no further
    action starts (see the module's docstring).
    """
    run = _Run(plan, client, journal, live, progress, parallelism)
    final: dict[int, ActionOutcome] = {}
    bought: dict[int, ActionOutcome] = {}  # replaces: the new number's outcome

    def work(step: _Step) -> None:
        index, action, do, is_final = step
        if stop is not None and stop.is_set():
            outcome = _interrupted_replace(action, bought[index]) if index in bought else _not_started(action)
            if outcome.status is not Status.NOT_STARTED:
                run.report(outcome)
        else:
            outcome = _guarded(do, action)
            if is_final:
                run.report(outcome)
        if is_final:
            final[index] = outcome
        else:
            bought[index] = outcome

    def run_group(steps: list[_Step]) -> None:
        """Run ``steps`` in their order on up to ``parallelism`` workers, each taking the next
        step when it is done with one (no future per step: a pool of 2,000 waits on 32 threads)."""
        if not steps:
            return
        queue = iter(steps)
        taking = threading.Lock()
        halted = threading.Event()
        failures: list[BaseException] = []

        def worker() -> None:
            while not halted.is_set():
                with taking:
                    step = next(queue, None)
                if step is None:
                    return
                try:
                    work(step)
                except BaseException as problem:  # an outcome that cannot be reported: stop, as below
                    failures.append(problem)
                    halted.set()

        count = max(1, min(parallelism, len(steps)))
        workers = [threading.Thread(target=worker, name=f"orbitctl-apply-{n}") for n in range(count)]
        try:
            for thread in workers:
                thread.start()
            for thread in workers:
                thread.join()
        except BaseException:
            # Ctrl-C: start nothing more; what is in flight finishes (and journals what it bought)
            halted.set()
            for thread in workers:
                if thread.is_alive():
                    thread.join()
            raise
        finally:
            journal.flush()  # the journal changes not waited for (a bought id, a clearing) too
        if failures:
            raise failures[0]

    indexed = list(enumerate(plan.actions))
    # 0. porting requests
    position = {id(action): index for index, action in indexed}
    for group in porting.requests(plan.actions):
        if stop is not None and stop.is_set():
            outcomes = [_not_started(action) for action in group]
        else:
            outcomes = _submitted(group, run, ports or PortBook(), os.environ if environ is None else environ)
        for outcome in outcomes:
            final[position[id(outcome.action)]] = outcome
            if outcome.status is not Status.NOT_STARTED:
                run.report(outcome)
    # 1. purchases, adopts, and replaces' new numbers
    run_group(
        [
            (i, a, run.buy, a.kind is ActionKind.PURCHASE) if a.kind in BUYING_KINDS else (i, a, run.configure, True)
            for i, a in indexed
            if a.kind in BUYING_KINDS or a.kind in _PUT_KINDS_FIRST
        ]
    )
    _count_out_of_stock(plan, final, bought)
    # 2. updates, moves, orphans
    run_group([(i, a, run.configure, True) for i, a in indexed if a.kind in _PUT_KINDS_SECOND])
    # 3. replaces' old numbers, releases
    run_group(
        [
            (
                i,
                a,
                functools.partial(run.release_replaced, bought=bought[i])
                if a.kind is ActionKind.REPLACE
                else run.release,
                True,
            )
            for i, a in indexed
            if a.kind in RELEASING_KINDS
        ]
    )
    return ApplyResult(
        stack=plan.stack,
        outcomes=tuple(final[index] for index, _ in indexed),
        currency=plan.currency,
    )
