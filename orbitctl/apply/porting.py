"""Carry out a plan's port actions: one porting request per carrier and authorisation.

Port actions whose ``port_in`` share ``PortIn.request_key()`` (carrier, authorisation name,
account number and PIN variable) go in one request, ``POST /numbers/porting``, of at most
``PORT_REQUEST_MAX`` numbers. Each request is recorded in the :class:`~orbitctl.apply.ports.PortBook`
before it is sent, then confirmed with Orbit's answer, or let go when Orbit refused it (which
changed nothing); when the answer is lost it stays unconfirmed, and is never sent again by itself.

The PIN is read from its environment variable just before the request is sent and goes into that
request only: not into the book, an outcome, a message or a log. :func:`pin_problems` checks every
variable before apply changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orbitctl.account.api import API_KEY_VARIABLE, OrbitError
from orbitctl.apply.outcome import ActionOutcome, Status
from orbitctl.apply.ports import PortBook
from orbitctl.errors import OrbitctlError
from orbitctl.model import Action, ActionKind, Plan

#: The most numbers orbitctl puts in one porting request (the page states no limit; the sandbox's
#: is 100): more numbers of one carrier and authorisation are sent in several requests.
PORT_REQUEST_MAX = 100


def requests(actions: Sequence[Action]) -> list[list[Action]]:
    """The port actions of ``actions`` as the requests that carry them, in plan order."""
    groups: dict[tuple, list[Action]] = {}
    for action in actions:
        if action.kind is ActionKind.PORT and action.port_in is not None:
            groups.setdefault(action.port_in.request_key(), []).append(action)
    return [
        group[start : start + PORT_REQUEST_MAX]
        for group in groups.values()
        for start in range(0, len(group), PORT_REQUEST_MAX)
    ]


def read_pin(variable: str, environ: Mapping[str, str], where: str) -> str:
    """The PIN in the environment variable ``variable`` (``where`` says who asks for it, for the
    message); OrbitctlError, never showing the value, when it is not set or not one line of text,
    or when it holds the Orbit API key."""
    pin = environ.get(variable, "")
    if not pin.strip():
        raise OrbitctlError(
            f"{where}: the environment variable {variable} is not set (or empty); set it to the carrier "
            f"account's PIN, e.g. `read -s {variable} && export {variable}`"
        )
    if not pin.isprintable():  # a byte that was not UTF-8 reads as an unprintable surrogate
        raise OrbitctlError(
            f"{where}: the environment variable {variable} holds line breaks, control characters or bytes "
            "that are not UTF-8 text (allowed: the PIN, as one line of text)"
        )
    key = environ.get(API_KEY_VARIABLE, "").strip()
    if key and key in pin:
        raise OrbitctlError(
            f"{where}: the environment variable {variable} holds the Orbit API key ({API_KEY_VARIABLE}), "
            "not a carrier PIN; orbitctl never sends the key as data"
        )
    return pin


def pin_problems(plan: Plan, environ: Mapping[str, str]) -> list[str]:
    """What stops the plan's porting requests from being sent: each PIN variable not set or not
    usable (checked once, before apply changes anything)."""
    problems = []
    for group in requests(plan.actions):
        port_in = group[0].port_in
        assert port_in is not None
        if port_in.pin_env is None:
            continue
        names = ", ".join(action.name for action in group)
        try:
            read_pin(port_in.pin_env, environ, f"port_in.pin of {names}")
        except OrbitctlError as problem:
            problems.append(str(problem))
    return list(dict.fromkeys(problems))


def submit(
    group: Sequence[Action], *, client: Any, book: PortBook, stack: str, account: str, environ: Mapping[str, str]
) -> list[ActionOutcome]:
    """Submit one porting request for the port actions of ``group`` (one carrier and
    authorisation); one outcome per action, in order."""
    port_in = group[0].port_in
    assert port_in is not None and all(action.number for action in group), "the planner pins each port"
    names = {action.number: action.name for action in group if action.number}
    try:
        pin = read_pin(port_in.pin_env, environ, f"port_in.pin of {group[0].name}") if port_in.pin_env else None
    except OrbitctlError as problem:
        return _each(group, Status.FAILED, f"not submitted: {problem}")
    record = book.begin(stack=stack, account=account, names=names, port_in=port_in)
    try:
        request = client.submit_port(
            list(names),
            current_carrier=port_in.current_carrier,
            authorization_name=port_in.authorization_name,
            account_number=port_in.account_number,
            pin=pin,
        )
    except OrbitError as problem:
        if getattr(problem, "outcome_unknown", False):
            return _each(
                group, Status.FAILED,
                f"{problem}; the request is remembered as unconfirmed in {book.path}, and is not submitted "
                "again by itself: the next plan shows it waiting",
            )
        book.abandon(record.key)
        return _each(group, Status.FAILED, str(problem))
    book.confirm(record, request)
    count = len(names)
    when = f"; estimated completion {request.get('estimated_completion')}" if request.estimated_completion else ""
    return _each(
        group, Status.OK,
        f"porting request {request.id} submitted for {count} number{'s' if count != 1 else ''} from "
        f"{port_in.current_carrier} ({request.status}{when})",
    )


def _each(group: Sequence[Action], status: Status, message: str) -> list[ActionOutcome]:
    return [ActionOutcome(action, status, message, number=action.number) for action in group]
