"""Several stacks in one run (``orbitctl plan DIR...``, ``apply DIR...``): which stacks the
arguments hold, and each stack's plan, each against its own account.

Each folder given, and each file given on its own, is read for the stack it names
(``manifest.load_stacks``); a run of one stack is the command as it always was. Every stack is
planned even when another fails (its manifests, the API, its budget): the failure is that stack's
result. A stack's lock, journal and porting requests are those of its own manifests' checkout
(``statedir.state_dir``), as when it is run alone; a stack reads its account through the client of
its ``account:``, one client (and, for a plan, one reading of the account) per account of the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from orbitctl.account.api import OrbitError
from orbitctl.apply.journal import JOURNAL_FILENAME, Journal
from orbitctl.apply.ports import PORTS_FILENAME, PortBook
from orbitctl.cli.context import CliContext
from orbitctl.errors import OrbitctlError
from orbitctl.manifest import StackManifests, load_stacks
from orbitctl.model import AccountRef, Live, StackPlan
from orbitctl.pipeline import build_plan
from orbitctl.statedir import state_dir


def load_run(obj: CliContext, paths: Sequence[str]) -> list[StackManifests]:
    """The stacks of ``paths``; the key variables of their accounts must be set (not with --sandbox)."""
    return load_stacks(paths, require_credentials=not obj.sandbox)


def stack_state(paths: Sequence[str]) -> tuple[Path, Journal, PortBook]:
    """The state folder of a stack's manifests, and its journal and porting requests."""
    state = state_dir(paths)
    return state, Journal(state / JOURNAL_FILENAME), PortBook(state / PORTS_FILENAME)


def failed(stack: StackManifests, problem: Exception) -> StackPlan:
    return StackPlan(stack.name, stack.paths, stack.desired.account if stack.desired else None, error=str(problem))


def plan_each(obj: CliContext, stacks: Sequence[StackManifests], *, parallelism: int) -> list[StackPlan]:
    """Every stack's plan (or its error), in the order given. Changes nothing."""
    results: list[StackPlan] = []
    lives: dict[AccountRef, Live] = {}
    with contextlib.ExitStack() as exits:
        clients: dict[AccountRef, object] = {}
        for stack in stacks:
            if stack.desired is None:
                results.append(failed(stack, stack.error or OrbitctlError("no manifest")))
                continue
            account = stack.desired.account
            try:
                if account not in clients:
                    clients[account] = exits.enter_context(obj.make_client(account))
                _, journal, ports = stack_state(stack.paths)
                plan, _, live = build_plan(
                    clients[account], stack.paths, parallelism=parallelism, journal=journal, ports=ports,
                    desired=stack.desired, live=lives.get(account),
                )
            except (OrbitctlError, OrbitError) as problem:
                results.append(failed(stack, problem))
                continue
            lives[account] = live
            results.append(StackPlan(stack.name, stack.paths, account, plan=plan))
    return results
