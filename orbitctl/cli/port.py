"""`orbitctl port NUMBERS...`: ask Orbit to port numbers in from another carrier.

The carrier account's PIN is read from an environment variable named by ``--pin-env`` (never a
flag, so it stays out of shell history and process listings) and is never printed.
"""

from __future__ import annotations

import json
import os

import click
import phonenumbers

from orbitctl.cli.options import one_line_text, output_option
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
    pin = os.environ.get(variable)
    if not pin:
        raise OrbitctlError(
            f"--pin-env {variable}: the environment variable {variable} is not set (or empty); "
            f"set it to the carrier account's PIN, e.g. `read -s {variable} && export {variable}`"
        )
    return one_line_text(pin, f"--pin-env {variable}", secret=True)


def _required_text(value: str, flag: str) -> str:
    if not value.strip():
        raise OrbitctlError(f"{flag} may not be empty")
    return one_line_text(value.strip(), flag)


@click.command("port")
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
def command(obj, numbers, carrier, authorization_name, account_number, pin_env, output) -> None:
    """Submit a request to port NUMBER... (E.164) from another carrier to Orbit.

    Porting takes days; the request's status is shown as Orbit reports it."""
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
        click.echo(json.dumps({
            "id": request.id,
            "numbers": list(request.numbers),
            "status": request.status,
            "estimated_completion": request.estimated_completion,
            "created_at": request.created_at,
        }, indent=2))
        return
    count = len(request.numbers)
    click.echo(
        f"Porting request {request.id} submitted for {count} number{'s' if count != 1 else ''} "
        f"from {carrier}: {request.status}"
        + (f", estimated completion {request.estimated_completion}" if request.estimated_completion else "")
        + "."
    )
    for number in request.numbers:
        click.echo(f"  {number}")
