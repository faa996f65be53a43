"""Hand-built plans for the rendering and plan-file tests: every kind of action, secrets, hostile
strings. Not a test module (no ``test_`` prefix)."""

from __future__ import annotations

from decimal import Decimal

from orbitctl.frozen import freeze
from orbitctl.model import (
    Action,
    ActionKind,
    Availability,
    Change,
    Plan,
    PortIn,
    PortProgress,
    Selection,
    ownership_tag,
)

STACK = "prod"


def purchase(name: str = "support-main", **overrides) -> Action:
    fields = {
        "kind": ActionKind.PURCHASE,
        "name": name,
        "selection": Selection(
            country="US", type="local", area_code="415", capabilities=("sms", "voice"), max_monthly_cost=Decimal("2.00")
        ),
        "config": freeze(
            {"label": "Main Support Line", "tags": ["support", "us-west"], "forwarding_number": "+14155550111"}
        ),
        "tag": ownership_tag(STACK, name),
        "reason": "new entry",
        "monthly_cost": Decimal("1.50"),
    }
    fields.update(overrides)
    return Action(**fields)


PORT_IN = PortIn(
    current_carrier="Acme Telecom", authorization_name="Jo Doe", account_number="ACC-12345", pin_env="CARRIER_PIN"
)


def port(name: str = "legacy-fax", number: str = "+14155551235", **overrides) -> Action:
    fields = {
        "kind": ActionKind.PORT,
        "name": name,
        "number": number,
        "port_in": PORT_IN,
        "reason": f"pinned {number} is not on the account",
    }
    fields.update(overrides)
    return Action(**fields)


def waiting(name: str = "legacy-line", number: str = "+14155551234", **overrides) -> PortProgress:
    fields = {
        "number": number,
        "port_id": "port_abc123",
        "status": "in_progress",
        "submitted": "2026-03-08T12:00:00Z",
        "estimated_completion": "2026-03-22T00:00:00Z",
        "name": name,
    }
    fields.update(overrides)
    return PortProgress(**fields)


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
        previous_monthly_cost=Decimal("1.00"),
        live_fingerprint="c" * 64,
    )


def release() -> Action:
    return Action(
        kind=ActionKind.RELEASE,
        name="old-line",
        id="num_old001",
        number="+14155550199",
        reason="entry 'old-line' is no longer in the manifest",
        monthly_cost=Decimal("0.75"),
        live_fingerprint="d" * 64,
    )


def orphan() -> Action:
    return Action(
        kind=ActionKind.ORPHAN,
        name="kept-line",
        id="num_kept01",
        number="+14155550198",
        reason="removed: kept-line: orphan (the number stays)",
        live_fingerprint="e" * 64,
    )


def move() -> Action:
    return Action(
        kind=ActionKind.MOVE,
        name="support-new",
        id="num_move01",
        number="+14155550197",
        previous_name="support-old",
        reason="moved: support-old -> support-new",
        changes=(Change("label", "Support (old)", "Support"),),
        config=freeze({"label": "Support"}),
        tag=ownership_tag(STACK, "support-new"),
        live_fingerprint="f" * 64,
    )


ALL_KINDS = {
    ActionKind.PURCHASE: purchase,
    ActionKind.PORT: port,
    ActionKind.ADOPT: adopt,
    ActionKind.UPDATE: update,
    ActionKind.REPLACE: replace,
    ActionKind.RELEASE: release,
    ActionKind.ORPHAN: orphan,
    ActionKind.MOVE: move,
}


POOL_SELECTION = Selection(country="US", type="local", capabilities=("sms",))


def pool(kind: ActionKind, size: int, name: str = "otp-pool") -> tuple[Action, ...]:
    """``size`` actions of ``kind`` for the members of one pool, as the planner makes them: the
    same selection, configuration and changes, each on a number of its own."""
    config = freeze({"label": "OTP", "capabilities": ["sms"], "webhook_url": "https://hooks.example.com/otp"})
    members = []
    for index in range(size):
        number, number_id = f"+1202555{index:04d}", f"num_otp{index:04d}"
        if kind is ActionKind.PURCHASE:
            members.append(
                purchase(name, selection=POOL_SELECTION, config=config, reason=f"pool {name!r} wants {size}")
            )
        elif kind is ActionKind.UPDATE:
            members.append(
                Action(kind=kind, name=name, id=number_id, number=number, changes=(Change("label", "OTP", "OTP v2"),),
                       config=freeze({"label": "OTP v2"}), tag=ownership_tag(STACK, name), live_fingerprint="1" * 64)
            )
        elif kind is ActionKind.RELEASE:
            members.append(
                Action(kind=kind, name=name, id=number_id, number=number, monthly_cost=Decimal("1.50"),
                       reason=f"pool {name!r} has more members than count 2", live_fingerprint="2" * 64)
            )
        elif kind is ActionKind.REPLACE:
            members.append(
                Action(kind=kind, name=name, id=number_id, number=number,
                       selection=Selection(country="US", area_code="646", capabilities=("sms",)), config=config,
                       tag=ownership_tag(STACK, name), reason=f'area_code is "646" but {number} is in area code 202',
                       monthly_cost=Decimal("1.25"), previous_monthly_cost=Decimal("1.50"),
                       live_fingerprint="3" * 64)
            )
        else:
            raise ValueError(f"no pool sample of {kind}")
    return tuple(members)


def plan_of(*actions: Action, unchanged: int = 0, delta: str = "0", **overrides) -> Plan:
    fields = {
        "stack": STACK,
        "actions": tuple(actions),
        "unchanged": unchanged,
        "monthly_cost_delta": Decimal(delta),
        "desired_fingerprint": "0" * 64,
        "managed": len(actions) + unchanged,
        "unmanaged": 3,
        "foreign": 2,
        "manifest_paths": ("numbers.yaml",),
    }
    fields.update(overrides)
    return Plan(**fields)


def every_kind_plan() -> Plan:
    return plan_of(*(make() for make in ALL_KINDS.values()), unchanged=5, delta="1.50")


# --- random plans (hypothesis) ----------------------------------------------------------------

from hypothesis import strategies as st  # noqa: E402

from orbitctl.model import ACTION_KINDS, CONFIG_KEYS  # noqa: E402

_json_scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=12)
json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.sampled_from(["rate", "token", "url", "sms", "api_key", "x"]), inner, max_size=3).map(
            freeze
        )
    ),
    max_leaves=8,
)
_money = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
_names = st.from_regex(r"^[a-z0-9][a-z0-9-]{0,35}$", fullmatch=True)
_numbers = st.from_regex(r"^\+[1-9][0-9]{6,13}$", fullmatch=True)

selections = st.builds(
    Selection,
    country=st.sampled_from(["US", "GB", "DE"]),
    type=st.sampled_from(["local", "toll_free", "mobile", "short_code"]),
    number=st.none() | _numbers,
    area_code=st.none() | st.from_regex(r"^[0-9]{3}$", fullmatch=True),
    contains=st.none() | st.from_regex(r"^[0-9]{1,4}$", fullmatch=True),
    max_monthly_cost=st.none() | _money,
    capabilities=st.lists(st.sampled_from(["sms", "voice", "mms"]), unique=True, max_size=3).map(tuple),
)
changes = st.lists(
    st.builds(Change, key=st.sampled_from(CONFIG_KEYS), before=json_values, after=json_values),
    max_size=3,
    unique_by=lambda change: change.key,
).map(tuple)


@st.composite
def actions(draw) -> Action:
    kind = draw(st.sampled_from(ACTION_KINDS))
    buying = kind in (ActionKind.PURCHASE, ActionKind.REPLACE)
    new = kind in (ActionKind.PURCHASE, ActionKind.PORT)
    name = draw(_names)
    return Action(
        kind=kind,
        name=name,
        id=None if new else draw(st.from_regex(r"^num_[a-z0-9]{4,10}$", fullmatch=True)),
        number=draw(st.none() | _numbers) if kind is ActionKind.PURCHASE else draw(_numbers),
        changes=draw(changes),
        selection=draw(selections) if buying else None,
        config=freeze(draw(st.dictionaries(st.sampled_from(CONFIG_KEYS), json_values, max_size=3))),
        tag=None if kind in (ActionKind.RELEASE, ActionKind.ORPHAN) else ownership_tag(STACK, name),
        previous_name=draw(_names) if kind is ActionKind.MOVE else draw(st.none() | _names),
        reason=draw(st.text(min_size=1, max_size=20))
        if kind in (ActionKind.REPLACE, ActionKind.RELEASE, ActionKind.PORT)
        else None,
        monthly_cost=draw(st.none() | _money),
        live_fingerprint=None
        if new
        else draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
        previous_monthly_cost=draw(_money) if kind is ActionKind.REPLACE else None,
        port_in=draw(port_ins) if kind is ActionKind.PORT else None,
    )


port_ins = st.builds(
    PortIn,
    current_carrier=st.text(min_size=1, max_size=12),
    authorization_name=st.text(min_size=1, max_size=12),
    account_number=st.none() | st.text(min_size=1, max_size=12),
    pin_env=st.none() | st.from_regex(r"^[A-Z_][A-Z0-9_]{0,10}$", fullmatch=True),
)


_name = st.from_regex(r"^[a-z0-9][a-z0-9-]{0,35}$", fullmatch=True)

plans = st.builds(
    Plan,
    stack=st.from_regex(r"^[a-z0-9][a-z0-9-]{0,15}$", fullmatch=True),
    actions=st.lists(actions(), max_size=6).map(tuple),
    unchanged=st.integers(0, 50),
    monthly_cost_delta=st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False, allow_infinity=False),
    currency=st.sampled_from(["USD", "EUR"]),
    desired_fingerprint=st.text("0123456789abcdef", min_size=64, max_size=64),
    managed=st.integers(0, 50),
    unmanaged=st.integers(0, 50),
    foreign=st.integers(0, 50),
    manifest_paths=st.lists(st.text(min_size=1, max_size=10), max_size=2).map(tuple),
    availability=st.lists(
        st.builds(
            Availability,
            selection=selections,
            names=st.lists(_names, min_size=1, max_size=2).map(tuple),
            needed=st.integers(1, 10_000),
            found=st.integers(0, 10_000),
            search_cap=st.integers(1, 500),
        ),
        max_size=2,
    ).map(tuple),
    targets=st.lists(_name, max_size=2, unique=True).map(tuple),
    suggested_moves=st.lists(st.tuples(_name, _name), max_size=2, unique_by=lambda pair: pair[0]).map(tuple),
    waiting=st.lists(
        st.builds(
            PortProgress,
            number=_numbers,
            port_id=st.none() | st.from_regex(r"^port_[a-z0-9]{4,10}$", fullmatch=True),
            status=st.sampled_from(["pending", "in_progress", "completed", "unconfirmed", "on_hold"]),
            submitted=st.none() | st.just("2026-03-08T12:00:00Z"),
            estimated_completion=st.none() | st.just("2026-03-22T00:00:00Z"),
            note=st.text(max_size=20),
            name=_name,
        ),
        max_size=2,
    ).map(tuple),
)
