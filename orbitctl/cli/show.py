"""`orbitctl show PLANFILE`: print a plan saved by `plan --out`, as `plan` printed it. No API call."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orbitctl.cli.context import CliContext
from orbitctl.cli.options import detailed_option, example, output_option
from orbitctl.errors import OrbitctlError
from orbitctl.manifest.loader import MANIFEST_SUFFIXES
from orbitctl.model import StackPlan
from orbitctl.planfile import load_plans
from orbitctl.render import OUTPUT_FORMATS, render
from orbitctl.render.stacks import render_stacks


@click.command(
    "show",
    short_help="Print a saved plan, offline.",
    epilog=example("orbitctl plan numbers.yaml --out plan.json", "orbitctl show plan.json --output markdown"),
)
@click.argument("planfile", type=click.Path(dir_okay=False), metavar="PLANFILE")
@output_option(OUTPUT_FORMATS)
@detailed_option
@click.pass_obj
def command(obj: CliContext, planfile: str, output: str, detailed: bool) -> None:
    """Print the plan saved in PLANFILE (by `orbitctl plan --out`), offline: what
    `orbitctl apply PLANFILE` would carry out, if the account and manifests are unchanged by then."""
    if planfile.endswith(MANIFEST_SUFFIXES) and Path(planfile).is_file():
        raise OrbitctlError(
            f"{planfile} is a manifest, not a saved plan: 'orbitctl plan {planfile}' shows what it would "
            f"do, and 'orbitctl plan {planfile} --out plan.json' saves a plan to show and apply"
        )
    plans = load_plans(planfile)
    if len(plans) > 1:  # plan DIR... --out: the plans of several stacks, shown as plan showed them
        stacks = [StackPlan(plan.stack, plan.manifest_paths, plan.account, plan=plan) for plan in plans]
        click.echo(render_stacks(stacks, output, color=obj.colors(sys.stdout), detailed=detailed), nl=False)
        click.echo(f"Saved plans of stacks {', '.join(plan.stack for plan in plans)}; carry them out with: "
                   f"orbitctl apply {planfile}", err=True)
        return
    (plan,) = plans
    click.echo(render(plan, output, stream=sys.stdout, color=obj.colors(sys.stdout), detailed=detailed), nl=False)
    made_from = ", ".join(plan.manifest_paths) or "(no manifest named)"
    click.echo(f"Saved plan of stack {plan.stack}, made from {made_from}; carry it out with: "
               f"orbitctl apply {planfile}", err=True)
