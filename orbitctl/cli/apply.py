"""`orbitctl apply MANIFEST...|PLANFILE`: show the plan, pass the gates, confirm, carry it out."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from orbitctl.account.api import OrbitError
from orbitctl.apply import executor, gates, surplus
from orbitctl.apply.journal import JOURNAL_FILENAME, Journal, account_of
from orbitctl.apply.lock import apply_lock
from orbitctl.apply.outcome import ActionOutcome, ApplyResult
from orbitctl.apply.porting import pin_problems
from orbitctl.apply.ports import PORTS_FILENAME, PortBook
from orbitctl.cli.context import CliContext
from orbitctl.cli.options import (
    DURATION,
    detailed_option,
    example,
    output_option,
    parallelism_option,
    target_option,
    warn_if_targeted,
)
from orbitctl.cli.signals import Interruption
from orbitctl.cli.stacks import load_run
from orbitctl.errors import OrbitctlError
from orbitctl.manifest import load_manifests
from orbitctl.model import BUYING_KINDS, Desired, Live, Plan
from orbitctl.pipeline import build_plan
from orbitctl.planfile import FILE_KIND, load_plans
from orbitctl.progress import progress as progress_bar
from orbitctl.render import render
from orbitctl.statedir import state_dir
from orbitctl.values import format_delta

#: What the user must type at the confirmation prompt (as Terraform asks).
CONFIRM_WORD = "yes"


def stdin_is_terminal() -> bool:
    """Whether someone can answer a prompt (a function, so tests can stand in for a terminal)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def is_plan_file(path: str) -> bool:
    """A saved plan (``plan --out``) rather than a manifest: a JSON document of the plan kind."""
    candidate = Path(path)
    if not candidate.is_file():
        return False
    try:
        with candidate.open("rb") as stream:
            head = stream.read(64).lstrip()[:1]
            if head != b"{":
                return False
            stream.seek(0)
            document = json.load(stream)
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and document.get("kind") == FILE_KIND


@click.command(
    "apply",
    epilog=example("orbitctl plan numbers.yaml --out plan.json", "orbitctl apply plan.json --auto-approve"),
)
@click.argument("sources", nargs=-1, required=True, type=click.Path(), metavar="MANIFEST...|PLANFILE")
@click.option("--auto-approve", is_flag=True, help="Apply without asking (required when stdin is not a terminal).")
@click.option("--allow-release", is_flag=True, help="Allow releases and replaces (a release cannot be undone).")
@click.option(
    "--max-release-percent",
    type=click.IntRange(0, 100),
    default=gates.DEFAULT_MAX_RELEASE_PERCENT,
    show_default=True,
    help="Refuse a plan releasing more than this share of the stack's managed numbers (stacks of 8+).",
)
@click.option("--force", is_flag=True, help="Apply even past --max-release-percent.")
@click.option(
    "--keep-going",
    is_flag=True,
    help="With several stacks: after a stack fails, apply the next ones still (default: stop before them).",
)
@click.option(
    "--lock-timeout",
    type=DURATION,
    default="0s",
    show_default=True,
    help="While another apply of the stack from this checkout runs, wait up to DURATION for it "
    "(30s, 5m, 1h; a plain number is seconds) instead of failing at once.",
)
@parallelism_option
@output_option(
    ("text", "json"),
    help="text: the plan and one line per action as it ends; json: the outcomes as one JSON document "
    "(the lines then go to stderr).",
)
@detailed_option
@target_option
@click.pass_obj
def command(
    obj: CliContext,
    sources: tuple[str, ...],
    auto_approve: bool,
    allow_release: bool,
    max_release_percent: int,
    force: bool,
    keep_going: bool,
    lock_timeout: float,
    parallelism: int,
    output: str,
    detailed: bool,
    targets: tuple[str, ...],
) -> None:
    """Carry out the plan for MANIFEST... (or exactly the saved PLANFILE).

    Runs purchases and adopts, then updates, moves and orphans, then releases, printing one line
    per action as it ends; exits 1 if any action failed. Every purchase is recorded in the
    checkout's .orbitctl/journal.json before it is sent, and a number it bought but did not tag is
    adopted by the next plan. SIGINT, SIGTERM and SIGHUP stop new actions, let those under way
    finish, print what was done and exit 1; a second signal exits at once."""
    plan_files = [source for source in sources if is_plan_file(source)]
    if plan_files and len(sources) > 1:
        raise OrbitctlError(
            f"{plan_files[0]} is a saved plan: apply takes either one saved plan or manifests, not both"
        )
    if plan_files and targets:
        raise OrbitctlError(
            f"--target cannot be given with the saved plan {plan_files[0]}: a saved plan keeps the targets "
            "it was made with (orbitctl plan --target NAME --out FILE)"
        )
    options: dict[str, Any] = {
        "gate": {"allow_release": allow_release, "max_release_percent": max_release_percent, "force": force},
        "auto_approve": auto_approve,
        "lock_timeout": lock_timeout,
        "parallelism": parallelism,
        "output": output,
        "detailed": detailed,
        "targets": targets,
    }
    runs = _stacks_of(obj, sources, plan_files[0] if plan_files else None)
    if len(runs) > 1 and targets:
        raise OrbitctlError(
            "--target names entries of one stack: apply that stack alone (orbitctl apply DIR --target NAME)"
        )
    interruption = Interruption()
    with interruption.handled():
        if len(runs) > 1:
            if not _apply_stacks(obj, runs, keep_going=keep_going, interruption=interruption, **options):
                raise click.exceptions.Exit(1)
            return
        try:
            result = _apply(obj, runs[0], interruption=interruption, **options)
        except KeyboardInterrupt:
            signal = interruption.received or "Ctrl-C"
            raise OrbitctlError(f"interrupted ({signal}) before any change; nothing was bought or changed") from None
    if result is not None and not result.complete:
        raise click.exceptions.Exit(1)


@dataclass(frozen=True)
class _Run:
    """One stack to apply: its manifests (loaded, or why not), and the saved plan to carry out."""

    name: str
    paths: tuple[str, ...]
    desired: Desired | None = None
    error: Exception | None = None
    saved: Plan | None = None
    plan_file: str | None = None


def _stacks_of(obj: CliContext, sources: tuple[str, ...], plan_file: str | None) -> list[_Run]:
    """The stacks to apply: those of the saved plan (one, or one a stack; their manifests are
    loaded when each is applied), or of the manifests, loaded. With several, the run's state folder
    (the --sandbox accounts) is that of the first; each stack's lock and journal are its own."""
    if plan_file is None:
        stacks = load_run(obj, sources)
        if len(stacks) == 1:
            return [_Run(stacks[0].name, tuple(sources), desired=stacks[0].desired, error=stacks[0].error)]
        unnamed = [stack for stack in stacks if stack.stack is None]
        if unnamed:  # perhaps part of another stack: applying that one without them could release numbers
            raise OrbitctlError(
                f"cannot tell which stack {unnamed[0].name} belongs to, so no stack is applied; "
                f"nothing was changed:\n{unnamed[0].error}"
            )
        obj.state_anchors = tuple(sources)
        return [_Run(stack.name, stack.paths, desired=stack.desired, error=stack.error) for stack in stacks]
    plans = load_plans(plan_file)
    if len(plans) == 1:
        return [_Run(plans[0].stack, plans[0].manifest_paths, saved=plans[0], plan_file=plan_file)]
    obj.state_anchors = tuple(path for plan in plans for path in plan.manifest_paths)
    return [_Run(plan.stack, plan.manifest_paths, saved=plan, plan_file=plan_file) for plan in plans]


def _apply_stacks(obj: CliContext, runs: list[_Run], *, keep_going: bool, interruption: Interruption,
                  output: str, **options) -> bool:
    """Apply the stacks one after another, each as a run of one (its own lock, journal, account
    and confirmation); after a stack fails, stop before the next unless ``keep_going``. With JSON
    output, one document of every stack's outcome. Whether every stack was applied."""
    done: list[dict] = []
    err = output != "text"
    for index, run in enumerate(runs):
        account = run.desired.account if run.desired is not None else run.saved.account if run.saved else None
        title = f"Stack {run.name} ({', '.join(run.paths)}" + (f"; account {account.name})" if account else ")")
        click.echo(f"{title}\n{'=' * len(title)}\n", err=err)
        result, error = None, run.error
        if error is None:
            try:
                result = _apply(obj, run, interruption=interruption, output=output, collect=True, **options)
            except KeyboardInterrupt:
                signal = interruption.received or "Ctrl-C"
                applied = [entry["stack"] for entry in done if entry["status"] == "applied"]
                raise OrbitctlError(
                    f"interrupted ({signal}) before any change to stack {run.name}; "
                    + (f"stacks applied before it: {', '.join(applied)}" if applied else "no stack was changed")
                ) from None
            except (OrbitctlError, OrbitError) as problem:
                error = problem
        if error is not None:
            click.echo(f"Error: stack {run.name}: {error}", err=True)
        status = "failed" if error is not None or (result is not None and not result.complete) else (
            "unchanged" if result is None else "applied")
        done.append({"stack": run.name, "status": status, "error": None if error is None else str(error),
                     "result": result.to_json() if result is not None else None})
        click.echo("", err=err)
        stopped = interruption.stop.is_set() or (status == "failed" and not keep_going)
        if stopped and index + 1 < len(runs):
            rest = runs[index + 1:]
            done += [{"stack": later.name, "status": "not started", "error": None, "result": None} for later in rest]
            why = "interrupted" if interruption.stop.is_set() else (
                f"stack {run.name} failed; pass --keep-going to apply the other stacks after a failure")
            click.echo(f"Stopped before {', '.join(later.name for later in rest)}: {why}.", err=True)
            break
    if output == "json":
        click.echo(json.dumps({"stacks": done}, indent=2))
    counts = {status: [entry["stack"] for entry in done if entry["status"] == status]
              for status in ("applied", "unchanged", "failed", "not started")}
    parts = [f"{len(names)} {status}" + (f" ({', '.join(names)})" if status in ("failed", "not started") else "")
             for status, names in counts.items() if names]
    click.echo(f"Stacks: {', '.join(parts)}.", err=err)
    return not counts["failed"] and not counts["not started"]


def _apply(
    obj: CliContext,
    run: _Run,
    *,
    gate: dict,
    auto_approve: bool,
    lock_timeout: float,
    parallelism: int,
    output: str,
    detailed: bool,
    interruption: Interruption,
    targets: tuple[str, ...],
    collect: bool = False,
) -> ApplyResult | None:
    """Load, lock the stack, plan, pass the gates, confirm, execute, check for a surplus, report
    (with ``collect``, a stack of several: the JSON document is left to the caller). None when
    there was nothing to do."""
    if run.error is not None:
        raise run.error
    saved, plan_file = run.saved, run.plan_file
    if saved is not None and not saved.manifest_paths:
        raise OrbitctlError(f"{plan_file}: the saved plan names no manifest to check it against; make a new plan")
    manifests = run.paths
    if not obj.state_anchors:  # a run of one stack: its manifests say where the checkout is
        obj.state_anchors = tuple(manifests)
    state = state_dir(manifests)
    desired = run.desired or load_manifests(manifests, require_credentials=not obj.sandbox)
    journal = Journal(state / JOURNAL_FILENAME)
    ports = PortBook(state / PORTS_FILENAME)
    show_progress = sys.stderr.isatty()

    def waiting(holder: str) -> None:
        click.echo(
            f"Another apply of stack '{desired.stack}' holds the lock{holder}; waiting up to {lock_timeout:g} s...",
            err=True,
        )

    with (
        apply_lock(state, desired.stack, timeout=lock_timeout, on_wait=waiting),
        obj.make_client(desired.account) as client,
    ):
        observed_at = datetime.now(UTC)
        if saved is not None and plan_file is not None:
            plan, live = _checked_saved_plan(
                saved, desired, plan_file, client, parallelism=parallelism, journal=journal, progress=show_progress,
                ports=ports,
            )
        else:
            plan, _, live = build_plan(
                client,
                manifests,
                parallelism=parallelism,
                journal=journal,
                progress=show_progress,
                targets=targets,
                desired=desired,
                ports=ports,
            )
        warn_if_targeted(plan)
        journal.prune(live, account_of(client), observed_at=observed_at)
        ports.prune(live, account_of(client))

        _show_plan(plan, output, detailed=detailed)
        if not plan.has_changes:
            _finish(ApplyResult(stack=plan.stack, outcomes=(), currency=plan.currency), output, collect=collect)
            return None
        gates.check_release_gates(plan, **gate)
        missing = pin_problems(plan, os.environ)
        if missing:
            raise OrbitctlError("\n".join([*missing, "Nothing was changed."]))
        if not auto_approve:
            _confirm(plan)
        result = _execute(
            plan,
            client,
            parallelism=parallelism,
            journal=journal,
            ports=ports,
            live=live,
            progress=show_progress,
            output=output,
            interruption=interruption,
        )
        if not interruption.stop.is_set():
            result = _check_surplus(client, desired, live, result, journal=journal, parallelism=parallelism)
    _finish(result, output, collect=collect)
    if plan.targets:
        click.echo("Warning: the changes applied may be incomplete: the plan was limited by --target. "
                   "Run orbitctl plan without --target to see what else the manifests ask for.", err=True)
    if interruption.stop.is_set():
        click.echo(_interrupted_message(interruption.received or "a signal", result, journal), err=True)
    return result


def _checked_saved_plan(
    plan: Plan, desired: Desired, source: str, client, *, parallelism: int, journal: Journal, progress: bool,
    ports: PortBook,
) -> tuple[Plan, Live]:
    """The plan to carry out for the saved plan ``plan`` (read from ``source``; its manifests
    loaded already: ``desired``), and the account as read now.

    The saved plan is checked against a fresh plan of the manifests it names
    (``gates.check_saved_plan``: identical in every action and value, ``check_prevent_release``);
    what is carried out is then the fresh plan, so that the costs (re-priced from the inventory)
    and the account counts the gates use come from the account, never from the file."""
    fresh, desired, live = build_plan(
        client,
        plan.manifest_paths,
        parallelism=parallelism,
        journal=journal,
        progress=progress,
        targets=plan.targets,
        desired=desired,
        ports=ports,
    )
    gates.check_saved_plan(
        plan,
        desired=desired,
        live=live,
        fresh=fresh,
        source=source,
        journaled=journal.pending(plan.stack, live, account_of(client)),
    )
    gates.check_prevent_release(plan, desired)
    if fresh.monthly_cost_delta != plan.monthly_cost_delta:
        click.echo(
            f"Note: the monthly cost changed since the plan was made: "
            f"{format_delta(plan.monthly_cost_delta, plan.currency)} then, "
            f"{format_delta(fresh.monthly_cost_delta, fresh.currency)} now.",
            err=True,
        )
    return fresh, live


def _show_plan(plan: Plan, output: str, *, detailed: bool) -> None:
    """The plan as text: on stdout, or on stderr when stdout carries the JSON outcomes."""
    stream = sys.stdout if output == "text" else sys.stderr
    color = click.get_current_context().ensure_object(CliContext).colors(stream)
    click.echo(render(plan, "text", stream=stream, color=color, detailed=detailed), nl=False, err=output != "text")


def _confirm(plan: Plan) -> None:
    if not stdin_is_terminal():
        raise OrbitctlError(
            "refusing to apply without confirmation: stdin is not a terminal. Review the plan "
            "and pass --auto-approve to apply unattended"
        )
    click.echo("", err=True)
    answer = click.prompt(
        f"Apply these changes to stack '{plan.stack}'? Only '{CONFIRM_WORD}' will be accepted",
        default="",
        show_default=False,
        err=True,
    )
    if answer.strip() != CONFIRM_WORD:
        raise OrbitctlError("apply cancelled; nothing was changed")


def _execute(
    plan: Plan, client, *, parallelism: int, journal: Journal, ports: PortBook, live, progress: bool, output: str,
    interruption: Interruption,
) -> ApplyResult:
    """Run the plan, printing each outcome as it ends (stdout for text, stderr beside JSON)."""
    total = len(plan.actions)
    ended: list[ActionOutcome] = []
    lines_to_stderr = output != "text"
    click.echo("", err=lines_to_stderr)
    with progress_bar("Applying", enabled=progress) as bar:

        def finished(outcome: ActionOutcome) -> None:
            ended.append(outcome)
            bar.update(len(ended), total)
            click.echo(outcome_line(outcome), err=lines_to_stderr)
            if outcome.journaled:
                click.echo(f"Warning: {outcome.message}", err=True)

        def first(name: str) -> None:
            click.echo(
                f"Received {name}: no new action starts; the actions under way finish (send {name} again to "
                "stop at once)",
                err=True,
            )

        def second(name: str) -> None:
            with journal.quiet():  # no journal write half done: every purchase sent is on disk
                click.echo(
                    f"Received {name} again: stopping at once, {len(ended)} of {total} actions done. "
                    f"{_bought_so_far(ended)}Every purchase sent is recorded in {journal.path}; the next plan "
                    "adopts any number it bought. Plan again to see what is left.",
                    err=True,
                )
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(OSError, ValueError):
                        stream.flush()
                os._exit(1)

        try:
            with interruption.executing(on_first=first, on_second=second):
                return executor.execute(
                    plan, client, parallelism=parallelism, journal=journal, progress=finished, live=live,
                    stop=interruption.stop, ports=ports,
                )
        except KeyboardInterrupt:
            raise OrbitctlError(
                f"interrupted after {len(ended)} of {total} actions (those under way were finished). "
                f"{_bought_so_far(ended)}Every purchase is recorded in {journal.path} before it is sent, and the "
                "next apply adopts what it bought; run plan to see what is left"
            ) from None


def _bought_so_far(ended: list[ActionOutcome]) -> str:
    """``Bought: +14155550100 for 'a', +14155550101 for 'pool'. `` (nothing when none was)."""
    bought = [
        f"{outcome.number} for '{outcome.action.name}'"
        for outcome in ended
        if outcome.action.kind in BUYING_KINDS and outcome.id
    ]
    return f"Bought: {', '.join(bought)}. " if bought else "Nothing was bought. "


def _interrupted_message(signal: str, result: ApplyResult, journal: Journal) -> str:
    done = len(result.outcomes) - len(result.not_started)
    return (
        f"Error: interrupted by {signal}: {done} of {len(result.outcomes)} actions done, "
        f"{len(result.not_started)} not started. {_bought_so_far(list(result.outcomes))}"
        f"Every purchase sent is recorded in {journal.path}; the next plan adopts any number it bought. "
        "Plan again to see what is left."
    )


def _check_surplus(client, desired: Desired, live: Live, result: ApplyResult, *, journal: Journal, parallelism: int):
    """``result`` with the surplus another apply's purchases left (``surplus.find_surplus``)."""
    try:
        found = surplus.find_surplus(
            client, desired, live, result, journal=journal, account=account_of(client), parallelism=parallelism
        )
    except OrbitError as problem:
        click.echo(
            f"Warning: could not read the account again to check that no other apply bought numbers for stack "
            f"'{desired.stack}' at the same time ({problem}); plan again to check",
            err=True,
        )
        return result
    if found:
        listed = "; ".join(
            f"'{name}': {', '.join(str(action.number or action.id) for action in found if action.name == name)}"
            for name in dict.fromkeys(action.name for action in found)
        )
        click.echo(
            f"Error: another apply bought numbers for stack '{desired.stack}' at the same time: these entries now "
            f"have more numbers than they want, billed until released: {listed}. The next plan releases them "
            "(apply it with --allow-release).",
            err=True,
        )
    return replace(result, surplus=found)


def outcome_line(outcome: ActionOutcome) -> str:
    """``sms-pool: purchase done: bought +14155550003`` / ``x: update +1415... FAILED: <why>``."""
    action = outcome.action
    subject = action.name if not action.previous_name else f"{action.previous_name} -> {action.name}"
    number = outcome.number or action.number
    where = f" {number}" if number and (not outcome.message or number not in outcome.message) else ""
    state = "done" if outcome.ok else "FAILED"
    detail = f": {outcome.message}" if outcome.message else ""
    return f"{subject}: {action.kind.value}{where} {state}{detail}"


def _finish(result: ApplyResult, output: str, *, collect: bool = False) -> None:
    """The summary (each action's line was printed as it ended, so the failed ones are listed
    again, as they ended up: at the end of a long log), or the JSON document (unless ``collect``:
    a stack of several, whose documents are printed together)."""
    if output == "json":
        if not collect:
            click.echo(json.dumps(result.to_json(), indent=2))
        if result.outcomes:
            click.echo(result.summary_line(), err=True)
        return
    if result.failed:
        click.echo("")
        click.echo(f"Failed ({len(result.failed)}):")
        for outcome in result.failed:
            click.echo(outcome_line(outcome))
    if result.outcomes:
        click.echo("")
        click.echo(result.summary_line())
