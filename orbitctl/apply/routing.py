"""The routing request an action sends (PUT /numbers/{phoneNumber}/routing), and its read-back.

``agent_id`` is a configuration key like any other in the manifest and the plan, but the API sets
it through an endpoint of its own, addressed by the phone number; the configure PUT never carries
it. An action that sets it sends the configure PUT first (it writes the ownership tag, so the
number is known to be this entry's before anything else happens to it), then this request. A
number just bought has no agent: only an agent to set is sent for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orbitctl.apply.configure import check_returned
from orbitctl.apply.outcome import Mismatch
from orbitctl.frozen import thaw
from orbitctl.model import ROUTING_KEYS, Action

#: How outcomes name the request, so a failure says which of an action's requests it was.
ROUTING_REQUEST = "the routing request (PUT /numbers/{phoneNumber}/routing)"
CONFIGURE_REQUEST = "the configure request (PUT /numbers/{id})"


def new_number_routing(action: Action) -> dict[str, Any]:
    """The routing to set on a number bought for ``action``: its stated agent, unless none."""
    return {key: thaw(action.config[key]) for key in ROUTING_KEYS if action.config.get(key)}


def existing_number_routing(action: Action) -> dict[str, Any]:
    """The routing an adopt, update or move changes (``None``: remove the agent)."""
    return {change.key: thaw(change.after) for change in action.changes if change.key in ROUTING_KEYS}


def send_routing(client: Any, *, number_id: str, phone_number: str, wanted: Mapping[str, Any]) -> tuple[Mismatch, ...]:
    """Send ``wanted`` (``{"agent_id": ...}``) for ``phone_number``, then compare what the API
    holds with it: from the response, else (the page documents none) from a GET of the number.
    Raises OrbitError when the request fails."""
    agent_id = wanted["agent_id"] or None  # "" and None both mean no agent
    returned = client.route(phone_number, agent_id)
    return check_returned(client, number_id, {"agent_id": agent_id}, returned)
