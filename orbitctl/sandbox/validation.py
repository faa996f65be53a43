"""Every parameter and body rule of the Numbers API page, each failure a 422 naming the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import phonenumbers

from orbitctl.sandbox.errors import ApiError, invalid

NUMBER_TYPES = ("local", "toll_free", "mobile", "short_code")
STATUSES = ("active", "inactive")
#: Capabilities a search or list may filter on.
FILTER_CAPABILITIES = ("sms", "voice", "mms", "whatsapp")
#: Capabilities a purchase may ask to provision (the page: "any of sms, voice, whatsapp, rcs").
PURCHASE_CAPABILITIES = ("sms", "voice", "whatsapp", "rcs")
#: Capabilities a PUT may list (the page: "any of sms, mms, voice, fax"; fax is fixed at
#: provisioning, so it can be listed only as the number already has it).
CONFIGURE_CAPABILITIES = ("sms", "mms", "voice", "fax")
#: Provisioned at purchase and never toggled: a PUT leaves them as they are.
PURCHASE_ONLY_CAPABILITIES = tuple(c for c in PURCHASE_CAPABILITIES if c not in CONFIGURE_CAPABILITIES)
CONFIGURE_KEYS = (
    "label",
    "status",
    "capabilities",
    "forwarding_number",
    "webhook_url",
    "sms_forwarding",
    "compliance_profile_id",
    "tags",
    "channel_config",
)

#: Keys PUT /numbers/{phoneNumber}/routing accepts. The page names the field, not the body; the
#: sandbox reads it as ``{"agent_id": ...}``.
ROUTING_KEYS = ("agent_id",)

SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX = 100, 500
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 25, 200
LABEL_MAX = 100
TAGS_MAX = 10
PORT_NUMBERS_MAX = 100
TEXT_MAX = 200
URL_MAX = 2048

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
API_KEY_PATTERN = re.compile(r"^dv_(live|test)_sk_[A-Za-z0-9_]+$")
E164_PATTERN = re.compile(r"^\+[1-9][0-9]{1,14}$")
SHORT_CODE_PATTERN = re.compile(r"^[0-9]{5,6}$")
DIGITS_PATTERN = re.compile(r"^[0-9]{1,15}$")
AREA_CODE_PATTERN = re.compile(r"^[0-9]{1,5}$")
COUNTRY_PATTERN = re.compile(r"^[A-Za-z]{2}$")
PROFILE_PATTERN = re.compile(r"^cp_[A-Za-z0-9_-]{1,64}$")
AGENT_ID_PATTERN = re.compile(r"\S{1,128}")

E164_HINT = "a valid E.164 number such as +14155550111"


def check_api_key(value: str | None) -> None:
    """401 unless ``value`` is a key of the documented form ``dv_live_sk_…``/``dv_test_sk_…``."""
    if not value:
        raise ApiError(401, "Missing API key: send it in the X-API-Key header.")
    if not API_KEY_PATTERN.fullmatch(value):
        raise ApiError(401, "Invalid API key: expected a key of the form dv_live_sk_... or dv_test_sk_....")


def is_valid_e164(value: str) -> bool:
    if not E164_PATTERN.fullmatch(value):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        return False


def profile_covers(profile_id: str | None, country: str) -> bool:
    """A compliance profile ``cp_<scope>_...`` covers ``country`` when its scope is the country's
    code in lower case or ``global`` (``cp_de_acme`` covers DE; ``cp_global_acme`` covers all)."""
    if not profile_id:
        return False
    parts = profile_id.split("_")
    return len(parts) > 1 and parts[1].lower() in (country.lower(), "global")


# --- query strings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchQuery:
    country: str
    type: str | None
    capabilities: tuple[str, ...]
    area_code: str | None
    contains: str | None
    limit: int


@dataclass(frozen=True)
class ListQuery:
    cursor: str | None
    limit: int
    country: str | None
    capabilities: tuple[str, ...]


def search_query(params: dict[str, list[str]]) -> SearchQuery:
    errors: list[tuple[str, str]] = []
    single = _singles(params, errors)
    country = _country(single.get("country"), "country", errors, required=True)
    number_type = single.get("type")
    if number_type is not None and number_type not in NUMBER_TYPES:
        errors.append(("type", f"must be one of {', '.join(NUMBER_TYPES)}"))
    capabilities = _capability_filter(single.get("capabilities"), errors)
    area_code = single.get("area_code")
    if area_code is not None and not AREA_CODE_PATTERN.fullmatch(area_code):
        errors.append(("area_code", "must be 1 to 5 digits, e.g. 415"))
    contains = single.get("contains")
    if contains is not None and not DIGITS_PATTERN.fullmatch(contains):
        errors.append(("contains", "must be 1 to 15 digits, e.g. 555"))
    limit = _limit(single.get("limit"), SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, errors)
    if errors:
        raise invalid(errors)
    return SearchQuery(country, number_type, capabilities, area_code, contains, limit)  # type: ignore[arg-type]


def list_query(params: dict[str, list[str]]) -> ListQuery:
    errors: list[tuple[str, str]] = []
    single = _singles(params, errors)
    cursor = single.get("cursor")
    if cursor is not None and not cursor:
        errors.append(("cursor", "must not be empty"))
    limit = _limit(single.get("limit"), LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, errors)
    country = _country(single.get("country"), "country", errors, required=False)
    capabilities = _capability_filter(single.get("capabilities"), errors)
    if errors:
        raise invalid(errors)
    return ListQuery(cursor or None, limit, country, capabilities)


def _singles(params: dict[str, list[str]], errors: list[tuple[str, str]]) -> dict[str, str]:
    single = {}
    for name, values in params.items():
        if len(values) > 1:
            errors.append((name, "must be given once"))
        single[name] = values[0]
    return single


def _country(value: str | None, field: str, errors: list[tuple[str, str]], *, required: bool) -> str | None:
    if value is None:
        if required:
            errors.append((field, "is required: an ISO 3166-1 alpha-2 code such as US, GB, TR"))
        return None
    if not COUNTRY_PATTERN.fullmatch(value) or value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        hint = " (the United Kingdom is GB)" if value.upper() == "UK" else ""
        errors.append((field, f"{value!r} is not an ISO 3166-1 alpha-2 country code{hint}"))
        return None
    return value.upper()


def _capability_filter(value: str | None, errors: list[tuple[str, str]]) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [item.strip() for item in value.split(",")]
    bad = [item for item in items if item not in FILTER_CAPABILITIES]
    if bad:
        allowed = ", ".join(FILTER_CAPABILITIES)
        errors.append(("capabilities", f"unknown {', '.join(map(repr, bad))}: use any of {allowed}"))
        return ()
    return tuple(dict.fromkeys(items))


def _limit(value: str | None, default: int, maximum: int, errors: list[tuple[str, str]]) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        errors.append(("limit", f"must be an integer from 1 to {maximum}"))
        return default
    return int(value)


# --- bodies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseRequest:
    phone_number: str
    country_code: str
    capabilities: tuple[str, ...]
    compliance_profile_id: str | None
    id: str | None


def purchase_body(body: Any) -> PurchaseRequest:
    """Fields of POST /numbers/purchase. Unknown keys are ignored (only PUT is documented strict)."""
    errors: list[tuple[str, str]] = []
    body = _object(body)
    phone_number = body.get("phone_number")
    if phone_number is None:
        errors.append(("phone_number", "is required: the number to buy, in E.164 format"))
    elif not isinstance(phone_number, str) or not (
        E164_PATTERN.fullmatch(phone_number) or SHORT_CODE_PATTERN.fullmatch(phone_number)
    ):
        errors.append(("phone_number", "must be an E.164 number such as +14155550100 (or a 5-6 digit short code)"))
    country_code = body.get("country_code", "US")
    if not isinstance(country_code, str):
        errors.append(("country_code", "must be an ISO 3166-1 alpha-2 code (2 letters)"))
        country_code = None
    else:
        country_code = _country(country_code, "country_code", errors, required=True)
    capabilities = body.get("capabilities", [])
    if not isinstance(capabilities, list) or not all(isinstance(c, str) for c in capabilities):
        errors.append(("capabilities", "must be a list of strings"))
        capabilities = []
    else:
        bad = [c for c in capabilities if c not in PURCHASE_CAPABILITIES]
        if bad:
            toggles = [c for c in bad if c in CONFIGURE_CAPABILITIES]
            hint = f" ({', '.join(toggles)} is toggled with PUT /numbers/{{id}})" if toggles else ""
            errors.append(
                ("capabilities", f"unknown {', '.join(map(repr, bad))}: use any of "
                 f"{', '.join(PURCHASE_CAPABILITIES)}{hint}")
            )
    profile = body.get("compliance_profile_id")
    if profile is not None and (not isinstance(profile, str) or not PROFILE_PATTERN.fullmatch(profile)):
        errors.append(("compliance_profile_id", "must be the id of an approved compliance profile, e.g. cp_de_acme"))
    row_id = body.get("id")
    if row_id is not None and (not isinstance(row_id, str) or not row_id.startswith("inv_")):
        errors.append(("id", "must be an inventory row id (inv_...) from GET /api/v1/numbers/available"))
    if errors:
        raise invalid(errors)
    return PurchaseRequest(phone_number, country_code, tuple(dict.fromkeys(capabilities)), profile or None, row_id)


def configure_body(body: Any) -> dict[str, Any]:
    """The changes of PUT /numbers/{id}, normalised (``""``/null detach to their cleared value).

    Which capabilities the number supports is checked by the caller, who knows the number.
    """
    body = _object(body)
    errors: list[tuple[str, str]] = []
    for key in body:
        if key not in CONFIGURE_KEYS:
            errors.append((key, f"unknown key; allowed keys: {', '.join(CONFIGURE_KEYS)}"))
    changes: dict[str, Any] = {}
    if "label" in body:
        label = body["label"]
        if not isinstance(label, str):
            errors.append(("label", "must be a string"))
        elif len(label) > LABEL_MAX:
            errors.append(("label", f"must be at most {LABEL_MAX} characters (got {len(label)})"))
        else:
            changes["label"] = label
    if "status" in body:
        if body["status"] not in STATUSES:
            errors.append(("status", "must be one of active, inactive"))
        else:
            changes["status"] = body["status"]
    if "capabilities" in body:
        caps = body["capabilities"]
        if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
            errors.append(("capabilities", "must be a list of strings"))
        elif not caps:
            errors.append(("capabilities", "must name at least one capability"))
        elif len(set(caps)) != len(caps):
            errors.append(("capabilities", "must not repeat a capability"))
        elif any(c not in CONFIGURE_CAPABILITIES for c in caps):
            bad = [c for c in caps if c not in CONFIGURE_CAPABILITIES]
            provisioned = [c for c in bad if c in PURCHASE_ONLY_CAPABILITIES]
            hint = f" ({', '.join(provisioned)} is provisioned at purchase only)" if provisioned else ""
            errors.append(
                ("capabilities", f"unknown {', '.join(map(repr, bad))}: use any of "
                 f"{', '.join(CONFIGURE_CAPABILITIES)}{hint}")
            )
        else:
            changes["capabilities"] = list(caps)
    for key in ("forwarding_number", "sms_forwarding"):
        if key in body:
            value = body[key]
            if not isinstance(value, str) or (value and not is_valid_e164(value)):
                errors.append((key, f'must be {E164_HINT}, or "" to clear'))
            else:
                changes[key] = value
    if "webhook_url" in body:
        url = body["webhook_url"]
        if url is None or url == "":
            changes["webhook_url"] = None
        elif not isinstance(url, str) or not _is_http_url(url):
            errors.append(("webhook_url", 'must be an http(s) URL, or "" or null to detach'))
        else:
            changes["webhook_url"] = url
    if "compliance_profile_id" in body:
        profile = body["compliance_profile_id"]
        if profile is None or profile == "":
            changes["compliance_profile_id"] = None
        elif not isinstance(profile, str) or not PROFILE_PATTERN.fullmatch(profile):
            errors.append(("compliance_profile_id", 'must be an approved profile id (cp_...), or "" or null to detach'))
        else:
            changes["compliance_profile_id"] = profile
    if "tags" in body:
        tags = body["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            errors.append(("tags", "must be a list of strings"))
        elif len(tags) > TAGS_MAX:
            errors.append(("tags", f"at most {TAGS_MAX} tags (got {len(tags)})"))
        elif len(set(tags)) != len(tags):
            errors.append(("tags", "must not repeat a tag"))
        else:
            bad = [t for t in tags if not TAG_PATTERN.fullmatch(t)]
            if bad:
                errors.append(("tags", f"{', '.join(map(repr, bad))} must match ^[a-z0-9][a-z0-9_-]{{0,63}}$"))
            else:
                changes["tags"] = list(tags)
    if "channel_config" in body:
        if not isinstance(body["channel_config"], dict):
            errors.append(("channel_config", "must be an object"))
        else:
            changes["channel_config"] = body["channel_config"]
    if errors:
        raise invalid(errors)
    return changes


def routing_body(body: Any) -> str | None:
    """The agent of PUT /numbers/{phoneNumber}/routing: ``agent_id`` is required, a string of 1
    to 128 characters without spaces, or null or "" for none; unknown keys are rejected."""
    body = _object(body)
    errors = [(key, f"unknown key; allowed keys: {', '.join(ROUTING_KEYS)}") for key in body if key not in ROUTING_KEYS]
    agent_id = body.get("agent_id")
    if "agent_id" not in body:
        errors.append(("agent_id", 'is required: the id of the agent to route to, or null (or "") for none'))
    elif agent_id == "":
        agent_id = None
    elif agent_id is not None and (not isinstance(agent_id, str) or not AGENT_ID_PATTERN.fullmatch(agent_id)):
        errors.append(("agent_id", 'must be an agent id of 1 to 128 characters without spaces, or null or "" for none'))
    if errors:
        raise invalid(errors)
    return agent_id


@dataclass(frozen=True)
class PortingSubmission:
    numbers: tuple[str, ...]
    current_carrier: str
    authorization_name: str
    account_number: str | None


def porting_body(body: Any) -> PortingSubmission:
    """Fields of POST /numbers/porting. The PIN is checked for type only and never kept."""
    body = _object(body)
    errors: list[tuple[str, str]] = []
    numbers = body.get("numbers")
    if numbers is None:
        errors.append(("numbers", "is required: the E.164 numbers to port"))
        numbers = []
    elif not isinstance(numbers, list) or not numbers:
        errors.append(("numbers", "must be a non-empty list of E.164 numbers"))
        numbers = []
    elif len(numbers) > PORT_NUMBERS_MAX:
        errors.append(("numbers", f"at most {PORT_NUMBERS_MAX} numbers per request"))
    else:
        for index, number in enumerate(numbers):
            if not isinstance(number, str) or not is_valid_e164(number):
                errors.append((f"numbers[{index}]", f"must be {E164_HINT}"))
        if len(set(map(str, numbers))) != len(numbers):
            errors.append(("numbers", "must not repeat a number"))
    for key in ("current_carrier", "authorization_name"):
        value = body.get(key)
        if value is None:
            errors.append((key, "is required"))
        elif not isinstance(value, str) or not value.strip() or len(value) > TEXT_MAX:
            errors.append((key, f"must be a non-empty string of at most {TEXT_MAX} characters"))
    for key in ("account_number", "pin"):
        value = body.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > TEXT_MAX):
            errors.append((key, f"must be a string of at most {TEXT_MAX} characters"))
    if errors:
        raise invalid(errors)
    return PortingSubmission(
        tuple(numbers), body["current_carrier"], body["authorization_name"], body.get("account_number")
    )


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid([("body", "must be a JSON object")])
    return body


def _is_http_url(url: str) -> bool:
    if len(url) > URL_MAX or any(ch.isspace() for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
