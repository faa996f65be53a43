"""Hand-built plans for the rendering and plan-file tests: every kind of action, secrets, hostile
strings. Not a test module (no ``test_`` prefix)."""

from __future__ import annotations

from decimal import Decimal

from orbitctl.frozen import freeze
from orbitctl.model import Action, ActionKind, Change, Plan, Selection, ownership_tag

STACK = "prod"


def purchase(name: str = "support-main", **overrides) -> Action:
    fields = dict(
        kind=ActionKind.PURCHASE,
        name=name,
        selection=Selection(country="US", type="local", area_code="415", capabilities=("sms", "voice"), max_monthly_cost=Decimal("2.00")),
        config=freeze({"label": "Main Support Line", "tags": ["support", "us-west"], "forwarding_number": "+14155550111"}),
        tag=ownership_tag(STACK, name),
        monthly_cost=Decimal("1.50"),
    )
    fields.update(overrides)
    return Action(**fields)


def adopt() -> Action:
    return Action(
        kind=ActionKind.ADOPT,
        name="legacy-main",
        id="num_legacy01",
        number="+14155550100",
        changes=(Change("label", "Old main", "Legacy main line"),),
        selection=Selection(country="US", number="+14155550100"),
        config=freeze({"label": "Legacy main line"}),
        tag=ownership_tag(STACK, "legacy-main"),
        live_fingerprint="a" * 64,
    )


def update() -> Action:
    return Action(
        kind=ActionKind.UPDATE,
        name="support-uk",
        id="num_uk0001",
        number="+447700900123",
        changes=(
            Change("label", "UK", "UK Support"),
            Change("tags", freeze(["support"]), freeze(["support", "uk"])),
            Change(
                "webhook_url",
                "https://hooks.example.com/in?token=old-secret",
                "https://hooks.example.com/in?token=new-secret",
            ),
            Change(
                "channel_config",
                freeze({"sms": {"rate": 10, "api_key": "k-old"}, "legacy": "x"}),
                freeze({"sms": {"rate": 20, "api_key": "k-new"}, "voice": {"record": True}}),
            ),
        ),
        config=freeze({"label": "UK Support"}),
        tag=ownership_tag(STACK, "support-uk"),
        live_fingerprint="b" * 64,
    )


def replace() -> Action:
    return Action(
        kind=ActionKind.REPLACE,
        name="ny-office",
        id="num_ny0001",
        number="+12125550100",
        selection=Selection(country="US", area_code="646"),
        config=freeze({"label": "NY office", "status": "active"}),
        tag=ownership_tag(STACK, "ny-office"),
        reason='area_code is "646" but +12125550100 is in area code 212',
        monthly_cost=Decimal("1.25"),
        live_fingerprint="c" * 64,
    )


def release() -> Action:
    return Action(
        kind=ActionKind.RELEASE,
        name="old-line",
        id="num_old001",
        number="+14155550199",
        reason="old-line is no longer in the manifest",
        live_fingerprint="d" * 64,
    )


def orphan() -> Action:
    return Action(
        kind=ActionKind.ORPHAN,
        name="kept-line",
        id="num_kept01",
        number="+14155550198",
        live_fingerprint="e" * 64,
    )


def move() -> Action:
    return Action(
        kind=ActionKind.MOVE,
        name="support-new",
        id="num_move01",
        number="+14155550197",
        previous_name="support-old",
        changes=(Change("label", "Support (old)", "Support"),),
        config=freeze({"label": "Support"}),
        tag=ownership_tag(STACK, "support-new"),
        live_fingerprint="f" * 64,
    )


ALL_KINDS = {
    ActionKind.PURCHASE: purchase,
    ActionKind.ADOPT: adopt,
    ActionKind.UPDATE: update,
    ActionKind.REPLACE: replace,
    ActionKind.RELEASE: release,
    ActionKind.ORPHAN: orphan,
    ActionKind.MOVE: move,
}


def plan_of(*actions: Action, unchanged: int = 0, delta: str = "0", **overrides) -> Plan:
    fields = dict(
        stack=STACK,
        actions=tuple(actions),
        unchanged=unchanged,
        monthly_cost_delta=Decimal(delta),
        desired_fingerprint="0" * 64,
        managed=len(actions) + unchanged,
        unmanaged=3,
        foreign=2,
        manifest_paths=("numbers.yaml",),
    )
    fields.update(overrides)
    return Plan(**fields)


def every_kind_plan() -> Plan:
    return plan_of(*(make() for make in ALL_KINDS.values()), unchanged=5, delta="1.50")
