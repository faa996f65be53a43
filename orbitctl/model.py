"""The data that flows through orbitctl: Desired (from the manifest), Live (from the account), Plan.

Everything here is a frozen dataclass holding plain, deep-frozen values (see ``frozen.py``).
The loader builds Desired, ``observe`` builds Live, the pure planner turns both into a Plan, and
the renderers and the executor only read it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from orbitctl.environment import API_KEY_VARIABLE, BASE_URL_VARIABLE

# --- constants: one place for each ------------------------------------------------------------

#: Keys of an entry that decide which number is bought. Changing one on an existing entry whose
#: live number no longer satisfies it is a ``replace``.
SELECTION_KEYS = ("number", "country", "type", "area_code", "contains", "max_monthly_cost")

#: Configuration keys written through PUT /numbers/{phoneNumber}/routing (addressed by the
#: phone number), not through the configure PUT.
ROUTING_KEYS = ("agent_id",)

#: Keys of an entry that are kept in sync with the API: by PUT /numbers/{id}, except the
#: ROUTING_KEYS (last), which have an endpoint of their own.
CONFIG_KEYS = (
    "label",
    "status",
    "capabilities",
    "tags",
    "webhook_url",
    "forwarding_number",
    "sms_forwarding",
    "compliance_profile_id",
    "channel_config",
    *ROUTING_KEYS,
)

#: Capabilities by the endpoint that can set them (the API page): a purchase provisions any of
#: PURCHASE_CAPABILITIES; PUT /numbers/{id} toggles only CONFIGURE_CAPABILITIES (fax there only as
#: the number was provisioned). The search filters on some (``account.inventory``).
PURCHASE_CAPABILITIES = ("sms", "voice", "whatsapp", "rcs")
CONFIGURE_CAPABILITIES = ("sms", "mms", "voice", "fax")
#: Only a purchase sets these: a number on the account can neither gain nor lose one.
PURCHASE_ONLY_CAPABILITIES = tuple(c for c in PURCHASE_CAPABILITIES if c not in CONFIGURE_CAPABILITIES)
#: Every capability a manifest may state (the schema's list; a test holds them equal).
CAPABILITIES = (*CONFIGURE_CAPABILITIES, *PURCHASE_ONLY_CAPABILITIES)

#: Configuration keys whose value is a set: order never makes a difference.
SET_VALUED_KEYS = frozenset({"capabilities", "tags"})

NUMBER_TYPES = ("local", "toll_free", "mobile", "short_code")

#: The API allows 10 tags a number; one is the ownership tag.
MAX_API_TAGS = 10
MAX_USER_TAGS = MAX_API_TAGS - 1

OWNERSHIP_PREFIX = "orbitctl__"
OWNERSHIP_SEPARATOR = "__"

#: Live status of a number bought in a regulated country without a covering compliance profile.
REGULATORY_HOLD = "regulatory_hold"

#: The currency of a plan that costs nothing (and of a number whose record names none).
DEFAULT_CURRENCY = "USD"


def ownership_tag(stack: str, name: str) -> str:
    """The reserved tag that marks a number as entry ``name`` of ``stack``."""
    return f"{OWNERSHIP_PREFIX}{stack}{OWNERSHIP_SEPARATOR}{name}"


@dataclass(frozen=True, order=True)
class Owner:
    """Who owns a live number, parsed from its ``orbitctl__<stack>__<name>`` tag."""

    stack: str
    name: str

    @property
    def tag(self) -> str:
        return ownership_tag(self.stack, self.name)

    @classmethod
    def from_tag(cls, tag: str) -> Owner | None:
        """Parse an ownership tag; ``None`` for any other tag (including malformed ones)."""
        if not tag.startswith(OWNERSHIP_PREFIX):
            return None
        stack, sep, name = tag[len(OWNERSHIP_PREFIX) :].partition(OWNERSHIP_SEPARATOR)
        if not sep or not stack or not name:
            return None
        return cls(stack, name)


def fingerprint(value: Any) -> str:
    """A stable sha256 of a JSON-like value (frozen or not), used to refuse stale saved plans."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=_thawed_or_text)
    return hashlib.sha256(text.encode()).hexdigest()


def _thawed_or_text(value: Any) -> Any:
    """For :func:`fingerprint`: a frozen mapping as a dict (tuples are lists to JSON already),
    anything else not JSON (a Decimal) as its text; the same text as ``thaw`` would give, without
    copying the whole value first."""
    return dict(value) if isinstance(value, Mapping) else str(value)


# --- Desired: what the manifest asks for ------------------------------------------------------


@dataclass(frozen=True)
class SourceMark:
    """Where something was written: for error messages."""

    file: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


#: What ``Selection.key()`` returns: the fields that decide an inventory search.
SelectionKey = tuple[object, ...]


@dataclass(frozen=True)
class Selection:
    """Which number to buy. ``number`` set means pinned: adopt it if on the account, else buy it."""

    country: str
    type: str = "local"
    number: str | None = None
    area_code: str | None = None
    contains: str | None = None
    max_monthly_cost: Decimal | None = None
    #: capabilities asked for by the entry, used as a search filter when buying
    capabilities: tuple[str, ...] = ()

    def key(self) -> SelectionKey:
        """Identity of the search this selection needs (one inventory search per distinct key)."""
        return (
            self.country,
            self.type,
            self.number,
            self.area_code,
            self.contains,
            self.max_monthly_cost,
            tuple(sorted(self.capabilities)),
        )


@dataclass(frozen=True)
class Lifecycle:
    prevent_release: bool = False
    ignore_changes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PortIn:
    """Where a pinned number comes from (``port_in:``): the carrier it is with today and that
    carrier account's authorisation. The PIN is never held: ``pin_env`` names the environment
    variable apply reads it from when it submits the porting request."""

    current_carrier: str
    authorization_name: str
    account_number: str | None = None
    pin_env: str | None = None

    def request_key(self) -> tuple[str, str, str | None, str | None]:
        """What numbers must share to be ported in one request."""
        return (self.current_carrier, self.authorization_name, self.account_number, self.pin_env)


@dataclass(frozen=True)
class DesiredEntry:
    """One entry of the manifest after defaults are merged under it.

    ``config`` holds only the configuration keys the manifest states (a key left out is not
    managed), normalised: ``tags`` and ``capabilities`` are tuples, ``channel_config`` a frozen
    mapping, ``webhook_url``/``compliance_profile_id``/``agent_id`` may be ``None``,
    ``forwarding_number`` and ``sms_forwarding`` may be ``""`` for none. ``tags`` never contains the ownership tag.
    """

    name: str
    selection: Selection
    config: Mapping[str, Any]
    count: int = 1
    #: ``True`` when the entry states ``count``: a pool, even if ``count`` is 1
    is_pool: bool = False
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    mark: SourceMark | None = None
    #: ``port_in:`` of a pinned entry: a number not on the account is ported in, not bought
    port_in: PortIn | None = None


@dataclass(frozen=True)
class AccountRef:
    """Where a stack's credentials come from: the names of the environment variables that hold
    the API key and the base URL (``account:``; never their values)."""

    api_key_env: str = API_KEY_VARIABLE
    api_url_env: str = BASE_URL_VARIABLE
    #: where ``account:`` was written; None when the manifest leaves it out (the defaults)
    mark: SourceMark | None = field(default=None, compare=False)

    @property
    def is_default(self) -> bool:
        return (self.api_key_env, self.api_url_env) == (API_KEY_VARIABLE, BASE_URL_VARIABLE)

    @property
    def name(self) -> str:
        """How messages name the account: its key's variable (and the URL's, when not the default)."""
        if self.api_url_env == BASE_URL_VARIABLE:
            return self.api_key_env
        return f"{self.api_key_env}/{self.api_url_env}"


#: The account of a manifest that names none.
DEFAULT_ACCOUNT = AccountRef()


@dataclass(frozen=True)
class Budget:
    """``budget:``: the most the stack's numbers may cost a month, in the account's currency."""

    max_monthly_cost: Decimal
    mark: SourceMark | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Desired:
    """The whole manifest: the stack and its entries by name."""

    stack: str
    entries: Mapping[str, DesiredEntry]
    #: ``moved: {old-name: new-name}``
    moved: Mapping[str, str] = field(default_factory=dict)
    #: ``removed: {name: orphan}``; the only policy today is ``"orphan"``
    removed: Mapping[str, str] = field(default_factory=dict)
    #: sha256 over the loaded content (not the file bytes), for stale-plan checks
    fingerprint: str = ""
    #: ``account:``: where the stack's credentials come from
    account: AccountRef = DEFAULT_ACCOUNT
    #: ``budget:``, or None for no ceiling
    budget: Budget | None = None


# --- Live: what the account holds -------------------------------------------------------------


@dataclass(frozen=True)
class LiveNumber:
    """A number on the account, as observed.

    ``config`` holds the configuration keys (``CONFIG_KEYS``) that were observed, normalised as in
    ``DesiredEntry.config``; ``tags`` there are the user tags only (the ownership tag is parsed into
    ``owner``; any further ``orbitctl__`` tag is kept in ``tags``). ``webhook_url`` is the common
    value of the SMS and voice webhooks; when they differ it is a mapping
    ``{"sms": ..., "voice": ...}`` so that it differs from any desired value.
    """

    id: str
    number: str
    country: str
    type: str
    status: str
    monthly_cost: Decimal
    currency: str
    created_at: str
    config: Mapping[str, Any]
    owner: Owner | None = None
    #: the full tag list as the API returned it, ownership tag included
    raw_tags: tuple[str, ...] = ()
    #: the number's place in the account's listing (0 first; purchase order in the sandbox):
    #: orders numbers whose ``created_at`` is the same second
    position: int = 0

    @property
    def fingerprint(self) -> str:
        return fingerprint(
            {
                "id": self.id,
                "number": self.number,
                "status": self.status,
                "owner": self.owner.tag if self.owner else None,
                "config": self.config,
            }
        )


@dataclass(frozen=True)
class Live:
    """Every number on the account."""

    numbers: tuple[LiveNumber, ...]


# --- Inventory offers (for availability and cost at plan time) --------------------------------


@dataclass(frozen=True)
class Offer:
    """A row of GET /numbers/available."""

    number: str
    country: str
    type: str
    capabilities: tuple[str, ...]
    monthly_cost: Decimal
    currency: str
    region: str | None = None
    #: provider inventory row id; must be forwarded on purchase when ``placeholder`` is true
    inventory_id: str | None = None
    placeholder: bool = False


@dataclass(frozen=True)
class Survey:
    """What the inventory searches for one selection found (``account/inventory.py``)."""

    #: every row found, each number once, in the order found (excluded numbers left out)
    offers: tuple[Offer, ...]
    #: the searches saw every number the inventory holds for the selection
    complete: bool
    searches: int
    #: when the searches ended (``time.monotonic()``; unknown: long ago)
    ended_at: float = -math.inf


# --- Plan -------------------------------------------------------------------------------------


class ActionKind(str, Enum):
    PURCHASE = "purchase"
    PORT = "port"
    ADOPT = "adopt"
    UPDATE = "update"
    REPLACE = "replace"
    RELEASE = "release"
    ORPHAN = "orphan"
    MOVE = "move"


#: The order in which the summary names kinds, and in which apply runs their groups.
ACTION_KINDS = tuple(ActionKind)

#: Kinds the summaries of a plan and of an apply always name, even at 0.
ALWAYS_SUMMARISED = frozenset({ActionKind.PURCHASE, ActionKind.UPDATE, ActionKind.RELEASE})
#: Kinds that buy a number (a replace buys the new one).
BUYING_KINDS = frozenset({ActionKind.PURCHASE, ActionKind.REPLACE})
#: Kinds that give a number up for good (a replace releases the old one).
RELEASING_KINDS = frozenset({ActionKind.RELEASE, ActionKind.REPLACE})


@dataclass(frozen=True)
class Change:
    """One configuration key that will change: ``before`` → ``after`` (frozen JSON values).

    ``before`` is ``None`` when the key was not set live."""

    key: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Action:
    """One action on one number.

    - purchase: ``id``/``number`` are None (unless pinned: ``number`` is the pin); ``selection``
      says what to buy; ``config`` is the whole configuration to PUT after buying.
    - port: ``number`` is the pin, ported in from the carrier ``port_in`` names (apply submits one
      porting request for all the numbers that share ``port_in.request_key()``); nothing is
      configured until the number is on the account, where the next plan adopts it.
    - adopt: ``id``/``number`` of the unmanaged live number; ``changes`` what the PUT changes.
    - update: ``changes`` are the changed keys only.
    - replace: ``id``/``number`` of the old number; ``selection`` of the new one; ``config`` the
      configuration for the new number; ``reason`` says which selection key no longer holds.
    - release: ``id``/``number`` of the number to release; ``reason`` says why.
    - orphan: the ownership tag is removed, nothing else.
    - move: ``previous_name`` → ``name``: the ownership tag is rewritten (plus any ``changes``).
    """

    kind: ActionKind
    name: str
    id: str | None = None
    number: str | None = None
    changes: tuple[Change, ...] = ()
    selection: Selection | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    #: the ownership tag the number carries after the action (None for release/orphan)
    tag: str | None = None
    previous_name: str | None = None
    reason: str | None = None
    #: expected monthly cost of the number bought (purchase/replace), from the inventory
    monthly_cost: Decimal | None = None
    #: fingerprint of the live number the action touches (None for purchase)
    live_fingerprint: str | None = None
    #: monthly cost of the live number a replace releases (the new one's is ``monthly_cost``)
    previous_monthly_cost: Decimal | None = None
    #: where a port action ports the number from
    port_in: PortIn | None = None


def format_money(amount: Decimal) -> str:
    """``1.5`` → ``"1.50"``; more precise amounts keep their digits (``0.005`` → ``"0.005"``)."""
    cents = amount.quantize(Decimal("0.01"))
    return str(cents) if cents == amount else str(amount.normalize())


def cost_delta(actions: Iterable[Action]) -> Decimal:
    """Monthly cost added by purchases and replaces (new minus old) less what releases save.

    Actions not priced yet (``monthly_cost`` None) add nothing."""
    total = Decimal("0")
    for action in actions:
        if action.monthly_cost is None:
            continue
        if action.kind is ActionKind.RELEASE:
            total -= action.monthly_cost
        elif action.kind is ActionKind.REPLACE:
            total += action.monthly_cost - (action.previous_monthly_cost or 0)
        elif action.kind is ActionKind.PURCHASE:
            total += action.monthly_cost
    return total


@dataclass(frozen=True)
class Availability:
    """A selection the plan buys more numbers for than the inventory searches could find, and
    could not count in full (each search shows at most ``search_cap`` rows and has no cursor):
    at least ``found`` are available now, and apply searches again as it buys."""

    selection: Selection
    #: the entries buying with this selection, in plan order
    names: tuple[str, ...]
    #: how many numbers the plan buys with it
    needed: int
    found: int
    search_cap: int


#: The status of a porting request whose submission orbitctl recorded but whose answer never came
#: (apply was stopped, or the connection lost): Orbit may or may not hold it.
PORT_UNCONFIRMED = "unconfirmed"
#: Statuses of a porting request that ended without the number: a new request may be submitted.
PORT_FAILED_STATUSES = frozenset({"rejected", "failed", "cancelled", "canceled"})


@dataclass(frozen=True)
class PortProgress:
    """What is known of the porting request orbitctl submitted for one number (``apply/ports.py``
    remembers them; the pipeline reads their status back and hands them to the planner).

    ``status`` is Orbit's (``pending``, ``in_progress``, ``completed``, ``rejected``...), or
    ``PORT_UNCONFIRMED``; ``note`` says what else the user should know (the status could not be
    read, say). ``name`` is the entry the plan shows it under (set by the planner)."""

    number: str
    port_id: str | None
    status: str
    submitted: str | None = None
    estimated_completion: str | None = None
    note: str = ""
    name: str = ""

    @property
    def failed(self) -> bool:
        """The request ended without the number: it may be submitted again."""
        return self.status in PORT_FAILED_STATUSES


@dataclass(frozen=True)
class Plan:
    stack: str
    actions: tuple[Action, ...]
    unchanged: int
    #: monthly cost added by purchases minus that saved by releases (replace: new minus old)
    monthly_cost_delta: Decimal = Decimal("0")
    currency: str = DEFAULT_CURRENCY
    #: fingerprint of the Desired the plan was made from
    desired_fingerprint: str = ""
    #: what the account held when planned (for drift summaries): numbers owned by this stack,
    #: numbers with no ownership tag, numbers owned by other stacks
    managed: int = 0
    unmanaged: int = 0
    foreign: int = 0
    #: the manifest files the plan was made from, so ``apply PLANFILE`` can check them for changes
    manifest_paths: tuple[str, ...] = ()
    #: selections the plan buys more numbers for than the inventory searches could count
    availability: tuple[Availability, ...] = ()
    #: the entry names ``--target`` limited the plan to (``plan/targeting.py``); empty: all of them
    targets: tuple[str, ...] = ()
    #: ``(old, new)`` entry names whose release and purchase look like a rename without
    #: ``moved:`` (``plan/renames.py``): a hint to the user, never acted upon
    suggested_moves: tuple[tuple[str, str], ...] = ()
    #: what the stack's numbers cost a month before and after the plan (``plan/budget.py``), in
    #: ``currency``; None when not known (a plan not made from the account, or mixed currencies)
    monthly_cost_now: Decimal | None = None
    monthly_cost_after: Decimal | None = None
    #: the manifest's ``budget.max_monthly_cost``; None for no ceiling
    budget: Decimal | None = None
    #: the account the stack is bound to (``account:``: the names of its variables)
    account: AccountRef = DEFAULT_ACCOUNT
    #: pinned numbers waiting for a porting request to complete: nothing is planned for them, and
    #: they are not changes (a port in progress is not drift)
    waiting: tuple[PortProgress, ...] = ()
    #: the inventory searches the plan was priced from, by selection: apply's first rows to buy
    #: while they are fresh (not saved: a plan read back is priced again)
    surveys: Mapping[SelectionKey, Survey] = field(default_factory=dict, compare=False, repr=False)

    def count(self, kind: ActionKind) -> int:
        return sum(1 for action in self.actions if action.kind is kind)

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)


@dataclass(frozen=True)
class StackPlan:
    """One stack of a run of several (``orbitctl plan DIR...``): its plan, or why it has none."""

    #: the stack's name (or, when its manifests name none, where they are)
    name: str
    #: the files and folders given for it
    paths: tuple[str, ...]
    #: the account its manifests name; None when they could not be loaded
    account: AccountRef | None = None
    plan: Plan | None = None
    #: what went wrong (a manifest, the API, the budget): the message as the CLI prints it
    error: str | None = None

    @property
    def has_changes(self) -> bool:
        return self.plan is not None and self.plan.has_changes
