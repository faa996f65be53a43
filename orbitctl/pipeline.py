"""From manifest paths and a client to a priced Plan: load, observe, plan, price."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from orbitctl.account import inventory
from orbitctl.account.api import DEFAULT_PARALLELISM
from orbitctl.account.observe import observe
from orbitctl.apply.journal import Journal, account_of
from orbitctl.apply.ports import PortBook, read_progress
from orbitctl.manifest import load_manifests
from orbitctl.model import Desired, Live, Plan
from orbitctl.plan import budget, planner, pricing, targeting
from orbitctl.progress import progress as progress_bar


def build_plan(
    client,
    manifest_paths: Sequence[str | os.PathLike],
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    journal: Journal | None = None,
    progress: bool | None = None,
    targets: Sequence[str] = (),
    ports: PortBook | None = None,
    desired: Desired | None = None,
    live: Live | None = None,
) -> tuple[Plan, Desired, Live]:
    """Load the manifests (unless ``desired`` is what they hold, loaded already), read the
    account (unless ``live`` is what it holds, read already), diff, check availability and cost,
    and the stack's budget (``plan/budget.py``).

    Numbers ``journal`` holds for this stack (bought, or maybe bought, and untagged) are adopted,
    not bought again. The porting requests ``ports`` (default: those of the working directory's
    checkout, as the executor's) remembers for this account are read back from Orbit, so the plan
    waits for those still open instead of porting (or buying) their numbers again. ``targets``
    (``--target``) limits the plan to those entries before it is priced. Raises ManifestError,
    PlanError (a budget broken too) or an OrbitError; never changes the account."""
    if desired is None:
        desired = load_manifests(manifest_paths)
    if live is None:
        with progress_bar("Reading the account", enabled=progress) as bar:
            live = observe(client, parallelism=parallelism, on_progress=bar.update)
    pending = journal.pending(desired.stack, live, account_of(client)) if journal is not None else {}
    # never without the remembered requests: a plan that did not see them would port again
    records = (ports or PortBook()).records(account_of(client))
    porting = read_progress(client, records, live, parallelism=parallelism) if records else {}
    plan = planner.plan(desired, live, journal=pending, ports=porting)
    if targets:
        plan = targeting.restrict(plan, desired, live, targets)
    plan = budget.costed(price_plan(client, plan, parallelism=parallelism), live, desired.budget)
    plan = replace(plan, manifest_paths=tuple(str(path) for path in manifest_paths), account=desired.account)
    return plan, desired, live


def price_plan(client, plan: Plan, *, parallelism: int = DEFAULT_PARALLELISM) -> Plan:
    """Search the inventory for each distinct selection the plan buys (several searches where one
    cannot show enough), then price the plan."""
    needed = pricing.searches_needed(plan)
    if not needed:
        return pricing.price(plan, {})
    reserved = pricing.pinned_numbers(plan.actions)

    def search(item):
        selection, count = item
        found = inventory.survey(
            client,
            selection,
            wanted=count,
            keep=lambda offer: pricing.is_candidate(selection, offer, reserved=reserved),
            parallelism=max(1, parallelism // len(needed)),
        )
        return selection.key(), found

    with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(needed)))) as pool:
        surveys = dict(pool.map(search, needed))
    priced = pricing.price(
        plan,
        {key: found.offers for key, found in surveys.items()},
        partial={key for key, found in surveys.items() if not found.complete},
        search_cap=inventory.search_cap(),
    )
    return replace(priced, surveys=surveys)
