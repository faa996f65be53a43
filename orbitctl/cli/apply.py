"""`orbitctl apply MANIFEST...|PLANFILE`: show the plan, pass the gates, confirm, carry it out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from orbitctl.apply import executor, gates
from orbitctl.apply.journal import Journal, account_of
from orbitctl.apply.lock import apply_lock
from orbitctl.apply.outcome import ActionOutcome, ApplyResult
from orbitctl.cli.context import CliContext
from orbitctl.cli.options import (
    detailed_option,
    example,
    output_option,
    parallelism_option,
    target_option,
    warn_if_targeted,
)
from orbitctl.errors import OrbitctlError
from orbitctl.model import Live, Plan
from orbitctl.pipeline import build_plan
from orbitctl.planfile import FILE_KIND, load_plan
from orbitctl.progress import progress as progress_bar
from orbitctl.render import render
from orbitctl.render.values import format_delta
from orbitctl.statedir import STATE_DIR

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
@parallelism_option
@output_option(
    ("text", "json"), help="text: the plan and one line per action; json: the outcomes as one JSON document."
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
    parallelism: int,
    output: str,
    detailed: bool,
    targets: tuple[str, ...],
) -> None:
    """Carry out the plan for MANIFEST... (or exactly the saved PLANFILE).

    Runs purchases and adopts, then updates, moves and orphans, then releases; exits 1 if any
    action failed. A number bought but not configured is recorded in .orbitctl/journal.json and
    adopted by the next apply."""
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
    journal = Journal()
    show_progress = sys.stderr.isatty()
    with apply_lock(STATE_DIR), obj.make_client() as client:
        if plan_files:
            plan, live = _checked_saved_plan(
                plan_files[0], client, parallelism=parallelism, journal=journal, progress=show_progress
            )
        else:
            plan, _, live = build_plan(
                client, sources, parallelism=parallelism, journal=journal, progress=show_progress, targets=targets
            )
        warn_if_targeted(plan)
        journal.prune(live, account_of(client))

        _show_plan(plan, output, detailed=detailed)
        if not plan.has_changes:
            _finish(ApplyResult(stack=plan.stack, outcomes=(), currency=plan.currency), output)
            return
        gates.check_release_gates(
            plan, allow_release=allow_release, max_release_percent=max_release_percent, force=force
        )
        if not auto_approve:
            _confirm(plan)
        result = _execute(plan, client, parallelism=parallelism, journal=journal, live=live, progress=show_progress)
    _finish(result, output)
    if plan.targets:
        click.echo("Warning: the changes applied may be incomplete: the plan was limited by --target. "
                   "Run orbitctl plan without --target to see what else the manifests ask for.", err=True)
    if result.failed:
        raise click.exceptions.Exit(1)


def _checked_saved_plan(
    source: str, client, *, parallelism: int, journal: Journal, progress: bool
) -> tuple[Plan, Live]:
    """The plan to carry out for the saved plan in ``source``, and the account as read now.

    The saved plan is checked against a fresh plan of the manifests it names
    (``gates.check_saved_plan``: identical in every action and value, ``check_prevent_release``);
    what is carried out is then the fresh plan, so that the costs (re-priced from the inventory)
    and the account counts the gates use come from the account, never from the file."""
    plan = load_plan(source)
    if not plan.manifest_paths:
        raise OrbitctlError(f"{source}: the saved plan names no manifest to check it against; make a new plan")
    fresh, desired, live = build_plan(
        client, plan.manifest_paths, parallelism=parallelism, journal=journal, progress=progress, targets=plan.targets
    )
    gates.check_saved_plan(
        plan,
        desired=desired,
        live=live,
        fresh=fresh,
        source=source,
        journaled=journal.pending(plan.stack, live),
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


def _execute(plan: Plan, client, *, parallelism: int, journal, live, progress: bool) -> ApplyResult:
    total = len(plan.actions)
    done = 0
    with progress_bar("Applying", enabled=progress) as bar:

        def finished(outcome: ActionOutcome) -> None:
            nonlocal done
            done += 1
            bar.update(done, total)
            if outcome.journaled:
                click.echo(f"Warning: {outcome.message}", err=True)

        try:
            return executor.execute(
                plan, client, parallelism=parallelism, journal=journal, progress=finished, live=live
            )
        except KeyboardInterrupt:
            raise OrbitctlError(
                f"interrupted after {done} of {total} actions (those under way were finished). "
                f"Numbers bought but not configured are recorded in {journal.path}, and the next "
                "apply adopts them; run plan to see what is left"
            ) from None


def outcome_line(outcome: ActionOutcome) -> str:
    """``sms-pool: purchase done: bought +14155550003`` / ``x: update +1415... FAILED: <why>``."""
    action = outcome.action
    subject = action.name if not action.previous_name else f"{action.previous_name} -> {action.name}"
    number = outcome.number or action.number
    where = f" {number}" if number and (not outcome.message or number not in outcome.message) else ""
    state = "done" if outcome.ok else "FAILED"
    detail = f": {outcome.message}" if outcome.message else ""
    return f"{subject}: {action.kind.value}{where} {state}{detail}"


def _finish(result: ApplyResult, output: str) -> None:
    if output == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
        if result.outcomes:
            click.echo(result.summary_line(), err=True)
        return
    if result.outcomes:
        click.echo("")
        for outcome in result.outcomes:
            click.echo(outcome_line(outcome))
        click.echo("")
        click.echo(result.summary_line())
