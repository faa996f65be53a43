"""`orbitctl plan`: read the account, diff it against the manifests, print the plan."""

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
from orbitctl.errors import OrbitctlError
from orbitctl.manifest.loader import MANIFEST_SUFFIXES
from orbitctl.pipeline import build_plan
from orbitctl.planfile import save_plan
from orbitctl.render import OUTPUT_FORMATS, render

#: Exit code of `plan --detailed-exitcode` when the plan has changes.
EXIT_CHANGES = 2


@click.command("plan", epilog=example("orbitctl plan numbers.yaml --out plan.json"))
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
    """Show what apply would purchase, update and release. Changes nothing."""
    if out:
        check_out_is_not_a_manifest(out, manifests)

    obj.state_anchors = manifests
    with obj.make_client() as client:
        plan, _, _ = build_plan(
            client,
            manifests,
            parallelism=parallelism,
            journal=Journal(obj.state_dir / JOURNAL_FILENAME),
            targets=targets,
            ports=PortBook(obj.state_dir / PORTS_FILENAME),
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
