"""`orbitctl port`: port numbers in from another carrier, and read a request back.

``orbitctl port submit NUMBER...`` submits a request; ``submit`` is the default, so
``orbitctl port NUMBER...`` (the command before ``port`` became a group) works as it did.
``orbitctl port status ID`` reads a request back. The carrier account's PIN is read from an
environment variable named by ``--pin-env`` (never a flag, so it stays out of shell history and
process listings) and is never printed.
"""

from __future__ import annotations

import json
import os

import click
import phonenumbers

from orbitctl.account.api import NotFoundError, PortingRequest
from orbitctl.apply import porting
from orbitctl.apply.ports import PortBook
from orbitctl.cli.options import example, one_line_text, output_option
from orbitctl.errors import OrbitctlError
from orbitctl.manifest.semantic import parse_number


def check_numbers(numbers: tuple[str, ...]) -> list[str]:
    """The numbers, each a valid number written in E.164; every bad one reported at once."""
    problems, seen = [], set()
    for number in numbers:
        parsed = parse_number(number)
        written = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if parsed else None
        if written is None:
            problems.append(f"{number!r} is not a valid phone number in E.164 form (like +14155551234)")
        elif written != number:
            problems.append(f"{number!r} is not in E.164 form: write it as {written}")
        elif number in seen:
            problems.append(f"{number} is given twice")
        seen.add(number)
    if problems:
        raise OrbitctlError("\n".join(problems))
    return list(numbers)


def read_pin(variable: str | None) -> str | None:
    """The PIN from the environment variable named ``variable`` (never shown in a message)."""
    if variable is None:
        return None
    return porting.read_pin(variable, os.environ, f"--pin-env {variable}")


def _required_text(value: str, flag: str) -> str:
    if not value.strip():
        raise OrbitctlError(f"{flag} may not be empty")
    return one_line_text(value.strip(), flag)


#: The subcommand ``orbitctl port ARGS...`` runs when ARGS does not start with one.
DEFAULT_SUBCOMMAND = "submit"


class _PortGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to ``submit``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [DEFAULT_SUBCOMMAND, *args]
        return super().parse_args(ctx, args)


@click.group(
    "port",
    cls=_PortGroup,
    short_help="Port numbers in from another carrier, and follow the request.",
    epilog=example("orbitctl port +14155551234 --carrier 'Acme Telecom' --authorization-name 'Jo Doe'"),
)
def command() -> None:
    """Port numbers in from another carrier: submit a request, read its status back.

    `orbitctl port NUMBER... --carrier ...` is short for `orbitctl port submit NUMBER... --carrier ...`."""


def request_to_dict(request: PortingRequest) -> dict:
    """The request as ``--output json`` prints it (timestamps as the API wrote them)."""
    return {
        "id": request.id,
        "numbers": list(request.numbers),
        "status": request.status,
        "estimated_completion": request.get("estimated_completion"),
        "created_at": request.get("created_at"),
    }


@command.command(
    "submit",
    short_help="Submit a request to port numbers from another carrier (the default).",
    epilog=example(
        "read -s ACME_PIN && export ACME_PIN",
        "orbitctl port submit +14155551234 --carrier 'Acme Telecom' --authorization-name 'Jo Doe' --pin-env ACME_PIN",
    ),
)
@click.argument("numbers", nargs=-1, required=True, metavar="NUMBER...")
@click.option("--carrier", required=True, help="The carrier the numbers are with today.")
@click.option("--authorization-name", required=True, help="The authorised person on that carrier account.")
@click.option("--account-number", default=None, help="The account number with that carrier.")
@click.option(
    "--pin-env", metavar="VAR", default=None,
    help="Name of an environment variable holding the carrier account's PIN (never printed).",
)
@output_option(("text", "json"))
@click.pass_obj
def submit(obj, numbers, carrier, authorization_name, account_number, pin_env, output) -> None:
    """Submit a request to port NUMBER... (E.164) from another carrier to Orbit.

    Porting takes days; the request's status is shown as Orbit reports it, and
    `orbitctl port status ID` reads it again later."""
    checked = check_numbers(numbers)
    carrier = _required_text(carrier, "--carrier")
    authorization_name = _required_text(authorization_name, "--authorization-name")
    if account_number is not None:
        account_number = one_line_text(account_number, "--account-number")
    pin = read_pin(pin_env)
    with obj.make_client() as client:
        request = client.submit_port(
            checked,
            current_carrier=carrier,
            authorization_name=authorization_name,
            account_number=account_number,
            pin=pin,
        )
    if output == "json":
        click.echo(json.dumps(request_to_dict(request), indent=2))
        return
    count = len(request.numbers)
    click.echo(
        f"Porting request {request.id} submitted for {count} number{'s' if count != 1 else ''} "
        f"from {carrier}: {request.status}"
        + (f", estimated completion {request.get('estimated_completion')}" if request.estimated_completion else "")
        + "."
    )
    for number in request.numbers:
        click.echo(f"  {number}")
    click.echo(f"Follow it with: orbitctl port status {request.id}", err=True)


@command.command(
    "forget",
    short_help="Let go of a porting request orbitctl remembers, so apply may port its numbers again.",
    epilog=example("orbitctl port forget +14155551234"),
)
@click.argument("numbers", nargs=-1, required=True, metavar="NUMBER...")
def forget(numbers: tuple[str, ...]) -> None:
    """Let go of what orbitctl remembers of the porting requests for NUMBER... (in
    .orbitctl/ports.json, which apply keeps so that it never submits a port twice).

    Use it when Orbit has no such request: an apply was stopped, or lost its connection, while
    submitting it (the plan shows it waiting, unconfirmed), or you cancelled the port with
    Orbit. The next apply then submits a new request for each number whose entry says port_in.
    Nothing is sent to Orbit."""
    checked = check_numbers(numbers)
    book = PortBook()
    found = book.forget(checked)
    for number in found:
        click.echo(f"Forgot the porting request for {number}.")
    unknown = [number for number in checked if number not in found]
    if unknown:
        raise OrbitctlError(
            f"orbitctl remembers no porting request for {', '.join(unknown)} (in {book.path})"
            + ("; the others were forgotten" if found else "")
        )


@command.command(
    "status", short_help="Show a porting request's status.", epilog=example("orbitctl port status port_abc123")
)
@click.argument("port_id", metavar="ID")
@output_option(("text", "json"))
@click.pass_obj
def status(obj, port_id: str, output: str) -> None:
    """Show where the porting request ID (the id `orbitctl port` printed) stands:
    pending, in_progress or completed, and when it is expected to complete."""
    port_id = _required_text(port_id, "ID")
    with obj.make_client() as client:
        try:
            request = client.get_port(port_id)
        except NotFoundError:
            raise OrbitctlError(
                f"no porting request {port_id!r} on this account: give the id 'orbitctl port' printed "
                "when the request was submitted (like port_abc123), with the same ORBIT_API_KEY"
            ) from None
    if output == "json":
        click.echo(json.dumps(request_to_dict(request), indent=2))
        return
    count = len(request.numbers)
    click.echo(f"Porting request {request.id}: {request.status} ({count} number{'s' if count != 1 else ''})")
    facts = [("numbers", ", ".join(request.numbers))]
    if request.created_at:
        facts.append(("submitted", request.get("created_at")))
    if request.estimated_completion:
        facts.append(("estimated completion", request.get("estimated_completion")))
    width = max(len(key) for key, _ in facts) + 1
    for key, text in facts:
        click.echo(f"  {(key + ':').ljust(width)} {text}")
    if request.status == "completed":
        click.echo("Its numbers are on the account, unmanaged: pin them in a manifest (number:) to manage them, "
                   "or see them with: orbitctl export --unmanaged", err=True)
