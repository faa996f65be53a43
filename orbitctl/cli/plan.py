"""`orbitctl plan`: read the account, diff it against the manifests, print the plan (of each
stack, when the manifests hold several: ``cli/stacks.py``)."""

from __future__ import annotations

import os
import sys

import click

from orbitctl.apply.journal import JOURNAL_FILENAME, Journal
from orbitctl.apply.porting import pin_problems
from orbitctl.apply.ports import PORTS_FILENAME, PortBook
from orbitctl.cli.context import CliContext
from orbitctl.cli.options import (
    detailed_option,
    example,
    manifest_arguments,
    output_option,
    parallelism_option,
    target_option,
    warn_if_targeted,
)
from orbitctl.cli.stacks import load_run, plan_each
from orbitctl.errors import OrbitctlError
from orbitctl.manifest.loader import MANIFEST_SUFFIXES
from orbitctl.model import StackPlan
from orbitctl.pipeline import build_plan
from orbitctl.planfile import save_plan, save_plans
from orbitctl.render import OUTPUT_FORMATS, render
from orbitctl.render.stacks import render_stacks

#: Exit code of `plan --detailed-exitcode` when the plan has changes.
EXIT_CHANGES = 2


@click.command("plan", epilog=example("orbitctl plan numbers.yaml --out plan.json", "orbitctl plan stacks/*"))
@manifest_arguments
@output_option(OUTPUT_FORMATS)
@parallelism_option
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan for `orbitctl apply FILE`.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 with no changes, 2 with changes, 1 on error (for drift checks).",
)
@detailed_option
@target_option
@click.pass_obj
def command(
    obj: CliContext,
    manifests: tuple[str, ...],
    output: str,
    parallelism: int,
    out: str | None,
    detailed_exitcode: bool,
    detailed: bool,
    targets: tuple[str, ...],
) -> None:
    """Show what apply would purchase, update and release. Changes nothing.

    Each folder, or each file's stack, is a stack: with several, each is planned against its own
    account, shown in a section of its own, and summed up in a last line."""
    if out:
        check_out_is_not_a_manifest(out, manifests)

    obj.state_anchors = manifests
    stacks = load_run(obj, manifests)
    if len(stacks) > 1:
        if targets:
            raise OrbitctlError(
                "--target names entries of one stack: plan that stack alone (orbitctl plan DIR --target NAME)"
            )
        _plan_stacks(obj, plan_each(obj, stacks, parallelism=parallelism), output=output, out=out,
                     detailed_exitcode=detailed_exitcode, detailed=detailed)
        return
    (stack,) = stacks
    if stack.desired is None:
        raise stack.error or OrbitctlError("no manifest")
    with obj.make_client(stack.desired.account) as client:
        plan, _, _ = build_plan(
            client,
            manifests,
            parallelism=parallelism,
            journal=Journal(obj.state_dir / JOURNAL_FILENAME),
            targets=targets,
            ports=PortBook(obj.state_dir / PORTS_FILENAME),
            desired=stack.desired,
        )
    warn_if_targeted(plan)
    for problem in pin_problems(plan, os.environ):
        click.echo(f"Warning: {problem}; apply needs it to submit the port", err=True)
    click.echo(render(plan, output, stream=sys.stdout, color=obj.colors(sys.stdout), detailed=detailed), nl=False)
    if out:
        save_plan(plan, out)
        click.echo(f"Saved the plan to {out}; apply it with: orbitctl apply {out}", err=True)
    if detailed_exitcode and plan.has_changes:
        raise click.exceptions.Exit(EXIT_CHANGES)


def _plan_stacks(
    obj: CliContext, results: list[StackPlan], *, output: str, out: str | None, detailed_exitcode: bool, detailed: bool
) -> None:
    """Print the plans of several stacks; save them to ``out`` (one file, a plan a stack) when
    every stack was planned. Exit 1 when any failed, else 2 with changes and --detailed-exitcode."""
    for result in results:
        for problem in pin_problems(result.plan, os.environ) if result.plan is not None else ():
            click.echo(f"Warning: stack {result.name}: {problem}; apply needs it to submit the port", err=True)
    click.echo(render_stacks(results, output, color=obj.colors(sys.stdout), detailed=detailed), nl=False)
    failed = [result.name for result in results if result.plan is None]
    if failed:
        if out:
            click.echo(f"The plans were not saved to {out}: a saved plan holds every stack of the run, and "
                       f"{len(failed)} could not be planned.", err=True)
        raise OrbitctlError(
            f"{len(failed)} of {len(results)} stacks could not be planned ({', '.join(failed)}); "
            "their errors are in their sections above, the other stacks' plans stand"
        )
    if out:
        save_plans([result.plan for result in results if result.plan is not None], out)
        click.echo(f"Saved the plans of {len(results)} stacks to {out}; apply them with: orbitctl apply {out}",
                   err=True)
    if detailed_exitcode and any(result.has_changes for result in results):
        raise click.exceptions.Exit(EXIT_CHANGES)


def check_out_is_not_a_manifest(out: str, manifests: tuple[str, ...]) -> None:
    """Refuse an ``--out`` that would overwrite a manifest or land in a folder of manifests."""
    target = os.path.realpath(out)
    for given in manifests:
        real = os.path.realpath(given)
        in_folder = os.path.isdir(real) and os.path.dirname(target) == real and target.endswith(MANIFEST_SUFFIXES)
        if target == real or in_folder:
            raise OrbitctlError(
                f"--out {out} would {'overwrite the manifest' if target == real else 'be read as a manifest in'} "
                f"{given}; save the plan elsewhere (e.g. --out plan.json)"
            )
