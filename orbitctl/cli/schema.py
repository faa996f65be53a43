"""`orbitctl schema`: print the JSON Schema of manifests (or of `plan --output json`, of one
stack or of several)."""

from __future__ import annotations

import click

from orbitctl.atomicfile import write_atomically
from orbitctl.cli.options import example
from orbitctl.manifest.schema import SCHEMA_PATH
from orbitctl.render.plan_json import PLAN_SCHEMA_PATH
from orbitctl.render.stacks import PLANS_SCHEMA_PATH

SCHEMAS = {"manifest": SCHEMA_PATH, "plan": PLAN_SCHEMA_PATH, "plans": PLANS_SCHEMA_PATH}


def schema_text(kind: str = "manifest") -> str:
    """The packaged schema of ``kind`` (``manifest``, ``plan`` or ``plans``), as the file holds it."""
    return SCHEMAS[kind].read_text(encoding="utf-8")


@click.command(
    "schema",
    short_help="Print the JSON Schema of manifests.",
    epilog=example("orbitctl schema --out schemas/manifest.schema.json"),
)
@click.argument("kind", type=click.Choice(tuple(SCHEMAS)), default="manifest")
@click.option(
    "--out", "out", type=click.Path(dir_okay=False), default=None, help="Write the schema to FILE instead of stdout."
)
def command(kind: str, out: str | None) -> None:
    """Print the JSON Schema (2020-12) of manifests, or with `plan` of `plan --output json`, or
    with `plans` of `plan DIR... --output json` of several stacks.

    Point an editor at it with a manifest's first line
    `# yaml-language-server: $schema=schemas/manifest.schema.json`; `orbitctl export` writes that
    line. The schema is this orbitctl's own: write it again after upgrading."""
    text = schema_text(kind)
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomically(out, text, what="the schema")
    click.echo(f"Wrote the {kind} schema of this orbitctl to {out}.", err=True)
