"""The command line: flags in, exit codes out. Each command lives in a module of its own.

May import: anything of orbitctl. Nothing else of orbitctl imports it.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import NoReturn

import click

from orbitctl import __version__
from orbitctl.account.api import DEFAULT_BASE_URL, OrbitError
from orbitctl.cli.context import SANDBOX_PORT_DAYS_ENV, CliContext
from orbitctl.errors import OrbitctlError
from orbitctl.render import COLOR_MODES, forced_color
from orbitctl.statedir import STATE_DIR_ENV, STATE_DIR_NAME

#: Exit code of every error (SPEC section 4); click's usage errors would otherwise exit 2, which
#: `plan --detailed-exitcode` reserves for "changes present".
EXIT_ERROR = 1


class OrbitctlGroup(click.Group):
    """Turns every error a user can cause into one message on stderr and exit 1, no traceback."""

    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as problem:
            _exit_with_usage_error(problem)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as problem:
            if problem.option_name in self._global_option_names():
                _exit_with_usage_error(click.UsageError(
                    f"{problem.option_name} is an option of orbitctl itself: put it before the "
                    f"command, as in 'orbitctl {problem.option_name} plan numbers.yaml'",
                    ctx=problem.ctx,
                ))
            _exit_with_usage_error(problem)
        except click.UsageError as problem:
            _exit_with_usage_error(problem)
        except (OrbitctlError, OrbitError) as problem:
            click.echo(f"Error: {problem}", err=True)
            raise click.exceptions.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(EXIT_ERROR) from None
        except OSError as problem:
            if problem.errno == errno.EPIPE:
                raise  # the reader of a pipe went away (`| head`): click ends quietly
            where = f": {problem.filename}" if problem.filename else ""
            click.echo(f"Error: {problem.strerror or problem}{where}", err=True)
            _drop_unwritten_output()
            raise click.exceptions.Exit(EXIT_ERROR) from None


    def _global_option_names(self) -> set[str]:
        return {name for param in self.params for name in getattr(param, "opts", ())}


def _exit_with_usage_error(problem: click.UsageError) -> NoReturn:
    """Show a usage error as click does, then exit 1 rather than click's 2."""
    problem.show()
    raise click.exceptions.Exit(EXIT_ERROR) from None


def _drop_unwritten_output() -> None:
    """After a failed write to stdout (a full disk), point it at /dev/null, so the flush at exit
    cannot fail a second time with "Exception ignored"."""
    try:
        sys.stdout.flush()
    except OSError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass


#: What ``orbitctl --help`` ends with: the environment it reads, and an example.
ENVIRONMENT_HELP = f"""\b
Environment:
  ORBIT_API_KEY   the Orbit API key, sent as X-API-Key (never printed or saved)
  ORBIT_API_URL   the API's base URL (default {DEFAULT_BASE_URL})
  {STATE_DIR_ENV}
                  the folder of apply's lock, journal and porting requests and the
                  --sandbox account (default {STATE_DIR_NAME}/ at the manifests' checkout root)
  {SANDBOX_PORT_DAYS_ENV}
                  as --sandbox-port-days: days a --sandbox port takes (0: at once)
  NO_COLOR        set (non-empty): no colour, unless --color always
  FORCE_COLOR     set (non-empty): colour even when not a terminal, unless --color never

\b
Example:
  orbitctl --sandbox apply examples/numbers.yaml --auto-approve"""


@click.group(
    cls=OrbitctlGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=ENVIRONMENT_HELP
)
@click.version_option(__version__, prog_name="orbitctl")
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run against the embedded Orbit emulator (state in .orbitctl/sandbox.json): no account, no network.",
)
@click.option(
    "--sandbox-state",
    type=click.Path(dir_okay=False),
    default=None,
    help="State file for --sandbox (default .orbitctl/sandbox.json).",
)
@click.option(
    "--sandbox-port-days",
    type=click.IntRange(min=0),
    default=None,
    envvar=SANDBOX_PORT_DAYS_ENV,
    show_envvar=True,
    metavar="N",
    help="Days --sandbox takes to complete a porting request submitted now (0: at once). Default: 14.",
)
@click.option(
    "--color",
    type=click.Choice(COLOR_MODES),
    default="auto",
    show_default=True,
    help="Colour the plan: auto (on a terminal, unless NO_COLOR; always with FORCE_COLOR), always, never.",
)
@click.pass_context
def cli(
    ctx: click.Context, sandbox: bool, sandbox_state: str | None, sandbox_port_days: int | None, color: str
) -> None:
    """Keep the phone numbers of an Orbit account in a Git repository.

    Give a command --help for its options and an example."""
    _escape_what_the_terminal_cannot_show()
    ctx.obj = CliContext(
        sandbox=sandbox, sandbox_state=sandbox_state, sandbox_port_days=sandbox_port_days, color=color
    )
    # what click.echo then keeps or strips of the escape codes (None: keep them on a terminal)
    ctx.color = forced_color(color)


def _escape_what_the_terminal_cannot_show() -> None:
    """In a locale that is not UTF-8 (ISO-8859-1, a cp1252 console), write a character the output
    cannot encode as ``\\uXXXX`` rather than fail with a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _register() -> None:
    from orbitctl.cli import apply, export, listing, plan, port, sandbox, schema, show, validate

    for module in (validate, plan, show, apply, export, listing, port, schema, sandbox):
        cli.add_command(module.command)


_register()


def main() -> None:
    cli(prog_name="orbitctl")
