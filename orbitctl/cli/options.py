"""Flags several commands share, defined once."""

from __future__ import annotations

import re
from types import MappingProxyType

import click

from orbitctl.account.api import DEFAULT_PARALLELISM
from orbitctl.errors import OrbitctlError
from orbitctl.manifest.yamlload import lone_surrogate
from orbitctl.model import Plan
from orbitctl.render.text import targeting_warning


def example(*command_lines: str) -> str:
    """The ``--help`` epilog of a command: ``Example:`` and its command lines, kept as written."""
    return "\b\nExample:\n" + "\n".join(f"  {line}" for line in command_lines)


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


detailed_option = click.option(
    "--detailed",
    is_flag=True,
    help="Show every number of a pool in a block of its own (by default, a pool's numbers share one "
    "block per kind of action; a release always names every number).",
)


target_option = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    help="Plan only entry NAME (repeatable; a pool whole, a moved: name either side). For exceptional "
    "cases such as recovering from an error, not routine use.",
)


def warn_if_targeted(plan: Plan) -> None:
    """Terraform's "targeting is in effect" warning on stderr, for a plan limited by --target."""
    if plan.targets:
        click.echo(f"Warning: {targeting_warning(plan)}", err=True)


def output_option(choices: tuple[str, ...], *, help: str = "Output format."):
    """``--output``/``-o``: one of ``choices``, the first by default."""
    return click.option(
        "--output",
        "-o",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help=help,
    )


def one_line_text(value: str, flag: str, *, secret: bool = False) -> str:
    """``value`` of ``flag`` when it is one line of valid text (no line break, no control
    character, no byte that was not UTF-8); else ``OrbitctlError`` saying so (and, unless
    ``secret``, showing the value)."""
    if lone_surrogate(value):
        raise OrbitctlError(f"{flag}: the value holds bytes that are not UTF-8 text (allowed: UTF-8 text)")
    if not value.isprintable():
        shown = "" if secret else f" {value!r}"
        raise OrbitctlError(f"{flag}{shown}: line breaks and control characters are not allowed "
                            "(allowed: one line of text)")
    return value


#: Seconds per unit of a ``DURATION``.
_DURATION_UNITS = MappingProxyType({"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0})
_DURATION_FORM = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?")


class Duration(click.ParamType):
    """A duration: ``30s``, ``5m``, ``1h``, ``500ms``, or a plain number of seconds -> seconds."""

    name = "DURATION"

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        match = _DURATION_FORM.fullmatch(str(value).strip().lower())
        if match is None:
            self.fail(
                f"{value!r} is not a duration (allowed: a number with ms, s, m or h, as in 30s, 5m or 1h; "
                "a plain number is seconds)",
                param,
                ctx,
            )
        return float(match.group(1)) * _DURATION_UNITS[match.group(2) or "s"]


DURATION = Duration()
