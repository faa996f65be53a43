"""Flags several commands share, defined once."""

from __future__ import annotations

import click

DEFAULT_PARALLELISM = 16

manifest_arguments = click.argument(
    "manifests", nargs=-1, required=True, type=click.Path(), metavar="MANIFEST..."
)

parallelism_option = click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=DEFAULT_PARALLELISM,
    show_default=True,
    help="How many API requests run at once.",
)


def output_option(choices: tuple[str, ...]):
    return click.option(
        "--output",
        "-o",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )
