"""A number as the account stores it, and the shapes the API shows of it.

Stored keys starting with ``_`` are the sandbox's own bookkeeping and never leave it.
"""

from __future__ import annotations

from orbitctl.sandbox import countries

#: GET /numbers (list items): exactly the fields of the page's list example.
LIST_FIELDS = (
    "id", "number", "country", "type", "label", "capabilities", "status",
    "monthly_cost", "currency", "created_at",
)
#: GET /numbers/{id}: everything.
DETAIL_FIELDS = (
    "id", "number", "country", "type", "region", "label", "capabilities", "status",
    "sms_webhook_url", "voice_webhook_url", "forwarding_number", "sms_forwarding",
    "compliance_profile_id", "tags", "channel_config", "agent_id", "monthly_cost", "currency",
    "created_at", "updated_at",
)
#: POST /numbers/purchase: the page's purchase example.
PURCHASE_FIELDS = (
    "id", "number", "country", "type", "capabilities", "status", "monthly_cost", "currency",
    "created_at",
)
#: PUT /numbers/{id}: the page's example fields, plus what the team agreed to echo.
CONFIGURE_FIELDS = (
    "id", "number", "country", "type", "label", "capabilities", "status", "webhook_url",
    "sms_webhook_url", "voice_webhook_url", "forwarding_number", "sms_forwarding",
    "compliance_profile_id", "tags", "channel_config", "updated_at",
)

#: PUT /numbers/{phoneNumber}/routing (the page documents no response): the number and its agent.
ROUTING_FIELDS = ("id", "number", "agent_id", "updated_at")


def new_record(*, number_id: str, number: str, country: str, number_type: str, region: str | None,
               capabilities: tuple[str, ...], status: str, monthly_cost: str, at: str,
               compliance_profile_id: str | None = None, inventory_id: str | None = None,
               supported: tuple[str, ...] | None = None) -> dict:
    """A freshly bought (or ported-in) number: no label, webhooks, forwarding or tags yet.

    ``capabilities``: what it has; ``supported``: what its line can do (the PUT toggles those),
    by default the same."""
    return {
        "id": number_id,
        "number": number,
        "country": country,
        "type": number_type,
        "region": region,
        "label": "",
        "capabilities": list(capabilities),
        "status": status,
        "sms_webhook_url": None,
        "voice_webhook_url": None,
        "forwarding_number": "",
        "sms_forwarding": "",
        "compliance_profile_id": compliance_profile_id,
        "tags": [],
        "channel_config": {},
        "agent_id": None,
        "monthly_cost": monthly_cost,
        "currency": countries.CURRENCY,
        "created_at": at,
        "updated_at": at,
        "_provisioned_capabilities": list(capabilities if supported is None else supported),
        "_inventory_id": inventory_id,
        "_requested_status": None,
    }


def shape(record: dict, fields: tuple[str, ...]) -> dict:
    """A copy of ``record`` with just ``fields`` (lists and objects copied, never shared)."""
    shaped = {}
    for name in fields:
        if name == "webhook_url":
            sms, voice = record["sms_webhook_url"], record["voice_webhook_url"]
            shaped[name] = sms if sms == voice else None
            continue
        value = record[name]
        if isinstance(value, list):
            value = list(value)
        elif isinstance(value, dict):
            value = dict(value)
        shaped[name] = value
    return shaped
