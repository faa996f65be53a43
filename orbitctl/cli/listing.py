"""`orbitctl list [NAME]`: the account's numbers and who owns them, or one entry's numbers.

Reads the account only (no manifest): the ownership tags say which stack and entry own a number.
"""

from __future__ import annotations

import click

from orbitctl.account.observe import observe
from orbitctl.cli.context import CliContext
from orbitctl.cli.options import example, output_option, parallelism_option
from orbitctl.errors import OrbitctlError
from orbitctl.export import checked_stack
from orbitctl.manifest.suggest import closest
from orbitctl.model import Live
from orbitctl.progress import progress
from orbitctl.render import listing


@click.command(
    "list",
    short_help="List the account's numbers and the stack and entry owning each.",
    epilog=example("orbitctl list --stack prod", "orbitctl list support-main --output json"),
)
@click.argument("name", required=False, metavar="[NAME]")
@click.option(
    "--stack",
    default=None,
    help="See the account from this stack: its numbers first, other stacks' marked foreign; "
    "with NAME, the stack whose entry to show. Default: every stack.",
)
@output_option(("table", "json"), help="table: aligned columns (one entry's configuration with NAME); json.")
@parallelism_option
@click.pass_obj
def command(obj: CliContext, name: str | None, stack: str | None, output: str, parallelism: int) -> None:
    """List every number on the account with the stack and entry that own it (unmanaged numbers,
    and with --stack other stacks' numbers, marked); with NAME, that entry's numbers and their
    configuration. Changes nothing."""
    if stack is not None:
        checked_stack(stack)  # before the account is read
    with obj.make_client() as client, progress("Reading the account") as bar:
        live = observe(client, parallelism=parallelism, on_progress=bar.update)
    if name is not None:
        _show_entry(live, name, stack, output)
        return
    if stack is not None and not any(n.owner and n.owner.stack == stack for n in live.numbers):
        click.echo(f"Warning: stack {stack} manages no number on this account{_did_you_mean(stack, _stacks(live))}.",
                   err=True)
    if output == "json":
        click.echo(listing.render_listing_json(live, stack))
        return
    if not live.numbers:
        click.echo("No numbers on the account.", err=True)
        return
    click.echo(listing.render_table(live, stack))
    click.echo(listing.summary(live, stack), err=True)


def _show_entry(live: Live, name: str, stack: str | None, output: str) -> None:
    owners = {n.owner for n in live.numbers if n.owner is not None}
    stacks = sorted({owner.stack for owner in owners if owner.name == name and stack in (None, owner.stack)})
    if not stacks:
        names = sorted({owner.name for owner in owners if stack in (None, owner.stack)})
        where = f"stack {stack}" if stack else "any stack"
        raise OrbitctlError(
            f"no number on the account belongs to an entry {name!r} of {where}{_did_you_mean(name, names)}; "
            "an entry not applied yet has no number ('orbitctl list' shows who owns what)"
        )
    if len(stacks) > 1:
        raise OrbitctlError(
            f"entries named {name!r} own numbers in {len(stacks)} stacks ({', '.join(stacks)}): "
            f"choose one with --stack, e.g. orbitctl list {name} --stack {stacks[0]}"
        )
    numbers = listing.entry_numbers(live, stacks[0], name)
    if output == "json":
        click.echo(listing.render_entry_json(stacks[0], name, numbers))
    else:
        click.echo(listing.render_entry(stacks[0], name, numbers))


def _stacks(live: Live) -> list[str]:
    return sorted({n.owner.stack for n in live.numbers if n.owner is not None})


def _did_you_mean(word: str, candidates: list[str]) -> str:
    """`` (did you mean 'prod'?)`` for the closest candidate, or nothing."""
    close = closest(word, candidates)
    return f" (did you mean {close!r}?)" if close else ""
