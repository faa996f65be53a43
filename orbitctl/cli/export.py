"""`orbitctl export`: write a manifest of the numbers on the account, so it can be adopted."""

from __future__ import annotations

import os
from pathlib import Path

import click

from orbitctl.account.observe import observe
from orbitctl.atomicfile import write_atomically
from orbitctl.cli.context import CliContext
from orbitctl.cli.options import example, one_line_text, parallelism_option
from orbitctl.cli.schema import schema_text
from orbitctl.export import DEFAULT_SCHEMA_REF, ExportResult, choose_stack, export_manifest
from orbitctl.model import Live
from orbitctl.progress import progress


@click.command(
    "export",
    short_help="Write a pinned manifest of the account's numbers.",
    epilog=example("orbitctl export --stack prod --unmanaged --out numbers.yaml"),
)
@click.option(
    "--stack",
    default=None,
    help="The stack to export (its numbers keep their names). Needed unless exactly one stack "
    "manages numbers on the account.",
)
@click.option(
    "--unmanaged",
    is_flag=True,
    help="Also write every number no stack manages, pinned, so apply adopts them into the stack.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the manifest to FILE instead of standard output.",
)
@click.option(
    "--schema",
    "schema_ref",
    default=None,
    help="Path or URL of manifest.schema.json for the editor comment at the top. Default: "
    "schemas/manifest.schema.json of the current directory, relative to the manifest's folder "
    "(with --out, written there from this orbitctl when missing).",
)
@parallelism_option
@click.pass_obj
def command(
    obj: CliContext,
    stack: str | None,
    unmanaged: bool,
    out: str | None,
    schema_ref: str | None,
    parallelism: int,
) -> None:
    """Write a manifest of the numbers on the account, each pinned with `number:`.

    By default only the numbers the stack already manages; with --unmanaged also every number
    no stack manages (planning the result then shows one adopt for each). Numbers of other
    stacks are left out: export them with --stack THAT-STACK.
    """
    if schema_ref is not None:
        one_line_text(schema_ref, "--schema")
    if stack is not None:
        choose_stack(Live(numbers=()), stack)  # a bad --stack fails before the account is read
    with obj.make_client() as client, progress("Reading the account") as bar:
        live = observe(client, parallelism=parallelism, on_progress=bar.update)
    result = export_manifest(
        live,
        choose_stack(live, stack),
        include_unmanaged=unmanaged,
        schema_ref=schema_ref or default_schema_ref(out),
    )
    if out:
        write_atomically(out, result.text, what="the manifest")
    else:
        click.echo(result.text, nl=False)
    for line in result.warnings:
        click.echo(f"Warning: {line}", err=True)
    if result.variables:
        click.echo(secrets_note(result), err=True)
    note = provide_schema(Path(DEFAULT_SCHEMA_REF), write=out is not None) if schema_ref is None else None
    if note:
        click.echo(note, err=True)
    click.echo(summary(result, out), err=True)


def default_schema_ref(out: str | None) -> str:
    """``schemas/manifest.schema.json`` under the current directory, as seen from ``out``'s folder."""
    folder = os.path.dirname(os.path.abspath(out)) if out else os.getcwd()
    relative = os.path.relpath(os.path.abspath(DEFAULT_SCHEMA_REF), folder)
    return Path(relative).as_posix()


def provide_schema(path: Path, *, write: bool) -> str | None:
    """Make the default schema comment resolve: write this orbitctl's manifest schema to ``path``
    when it is missing and ``write``. What was done, or what to do, as a line for stderr; None
    when ``path`` holds the schema already."""
    current = schema_text()
    if path.is_file():
        try:
            if path.read_text(encoding="utf-8") == current:
                return None
        except (OSError, UnicodeDecodeError):
            pass
        return (f"Warning: {path.as_posix()} is not this orbitctl's manifest schema (an older version?): "
                f"refresh it with: orbitctl schema --out {path.as_posix()}")
    if not write:
        return (f"The schema comment points at {path.as_posix()}, which does not exist here: "
                f"write it with: orbitctl schema --out {path.as_posix()}")
    write_atomically(path, current, what="the schema")
    return (f"Wrote this orbitctl's manifest schema to {path.as_posix()}, where the schema comment points "
            "(commit it too).")


def secrets_note(result: ExportResult) -> str:
    """Which environment variables the manifest reads its secrets from, one a line."""
    count = len(result.variables)
    lines = [
        f"The manifest reads {count} secret{'s' * (count != 1)} from environment variables (the secrets "
        "are not written to it); set each before plan or apply, with the value the account holds now:"
    ]
    lines += [f"  {variable.describe()}" for variable in result.variables]
    return "\n".join(lines)


def summary(result: ExportResult, out: str | None) -> str:
    """What was written and what was left out, with the next step."""
    where = f" to {out}" if out else ""
    lines = [
        f"Exported {result.numbers} number{'s' * (result.numbers != 1)} of stack "
        f"{result.stack}{where}: {result.managed} already managed, {result.adopted} to adopt."
    ]
    if result.unmanaged_left_out:
        lines.append(
            f"Left out {result.unmanaged_left_out} unmanaged number"
            f"{'s' * (result.unmanaged_left_out != 1)}: add --unmanaged to adopt them."
        )
    for other, count in result.foreign_left_out.items():
        lines.append(
            f"Left out {count} number{'s' * (count != 1)} of stack {other}: "
            f"orbitctl export --stack {other} writes them."
        )
    if out:
        lines.append(f"Next: orbitctl plan {out}")
    return "\n".join(lines)
