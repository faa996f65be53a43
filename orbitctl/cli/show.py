"""`orbitctl show PLANFILE`: print a plan saved by `plan --out`, as `plan` printed it. No API call."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from orbitctl.cli.context import CliContext
from orbitctl.cli.options import detailed_option, example, output_option
from orbitctl.errors import OrbitctlError
from orbitctl.manifest.loader import MANIFEST_SUFFIXES
from orbitctl.planfile import load_plan
from orbitctl.render import OUTPUT_FORMATS, render


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
    plan = load_plan(planfile)
    click.echo(render(plan, output, stream=sys.stdout, color=obj.colors(sys.stdout), detailed=detailed), nl=False)
    made_from = ", ".join(plan.manifest_paths) or "(no manifest named)"
    click.echo(f"Saved plan of stack {plan.stack}, made from {made_from}; carry it out with: "
               f"orbitctl apply {planfile}", err=True)
