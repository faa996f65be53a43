"""`orbitctl plan` (not built yet: see the open issues)."""

import click

from orbitctl.errors import OrbitctlError


@click.command("plan", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args: tuple[str, ...]) -> None:
    """Not built yet."""
    raise OrbitctlError("'orbitctl plan' is not built yet")
