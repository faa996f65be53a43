"""`orbitctl validate MANIFEST...`: check the manifests offline (no API call).

Exit 0 when valid, 1 when not. Text output lists every problem on stderr, one a line
(``FILE:LINE:COL: key.path: what is wrong (what is allowed)``); ``--output json`` prints the list of
problems (``[]`` when valid) on stdout as ``[{"file", "line", "column", "path", "message",
"suggestion"}]`` (``suggestion``: what a misspelling most likely meant, or null).
"""

from __future__ import annotations

import json

import click

from orbitctl.cli.options import example, manifest_arguments, output_option
from orbitctl.manifest import load_stacks


@click.command("validate", short_help="Check manifests offline.", epilog=example("orbitctl validate numbers/"))
@manifest_arguments
@output_option(("text", "json"))
@click.pass_context
def command(ctx: click.Context, manifests: tuple[str, ...], output: str) -> None:
    """Check MANIFEST files or folders offline: structure, numbers, countries, names. Each folder,
    or each file's stack, is a stack of its own; every stack is checked."""
    stacks = load_stacks(manifests, require_credentials=False)
    problems = [problem for stack in stacks if stack.error is not None for problem in stack.error.problems]
    if output == "json":
        click.echo(json.dumps([problem.as_dict() for problem in problems], indent=2))
        if problems:
            ctx.exit(1)
        return
    for stack in stacks:
        if stack.desired is not None:
            entries = stack.desired.entries.values()
            numbers = sum(entry.count for entry in entries)
            click.echo(f"Valid: stack {stack.desired.stack}, {len(entries)} entr{'ies' if len(entries) != 1 else 'y'} "
                       f"({numbers} number{'s' if numbers != 1 else ''}).")
    if problems:
        for problem in problems:
            click.echo(str(problem), err=True)
        count = len(problems)
        click.echo(f"Error: {count} problem{'s' if count != 1 else ''} in the manifests.", err=True)
        ctx.exit(1)
