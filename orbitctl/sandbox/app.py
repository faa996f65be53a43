"""The WSGI application: routing, the envelopes, and one handler per documented endpoint.

Plain WSGI from the standard library: the API is eight small endpoints, so a framework would add
a dependency and nothing the page needs. It runs under ``server.py`` (real HTTP) and inside the
client through ``httpx.WSGITransport`` (``orbitctl --sandbox``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import parse_qs

from orbitctl.sandbox import countries, porting, records, validation
from orbitctl.sandbox.errors import REASONS, ApiError, envelope, invalid, new_request_id
from orbitctl.sandbox.inventory import Inventory, home_country
from orbitctl.sandbox.knobs import Faults
from orbitctl.sandbox.store import Draft, StateFileError, Store

PREFIX = "/api/v1/numbers"
BODY_MAX = 1 << 20

Clock = Callable[[], datetime]


def create_app(
    state_path: str | os.PathLike | None = None,
    *,
    seed: int = 0,
    latency_ms: float = 0,
    error_rate: float = 0.0,
    rate_limit: float | None = None,
    lose_purchase_responses: int = 0,
    fail_configure: int = 0,
    hold_purchase_ms: float = 0,
    search_limit: int = validation.SEARCH_LIMIT_MAX,
    clock: Clock | None = None,
    port_days: int = porting.COMPLETION_DAYS,
) -> SandboxApp:
    """The sandbox as a WSGI callable. ``state_path`` None keeps the account in memory.

    ``clock`` gives the time (default: now, UTC); porting requests made from now on complete
    ``port_days`` after the day they are made (0: at once), on that clock.

    Cheap to create: the state file is read on the first request and the inventory is
    generated on demand.
    """
    faults = Faults(
        seed=seed,
        latency_ms=latency_ms,
        error_rate=error_rate,
        rate_limit=rate_limit,
        lose_purchase_responses=lose_purchase_responses,
        fail_configure=fail_configure,
        hold_purchase_ms=hold_purchase_ms,
        search_limit=search_limit,
    )
    if port_days < 0:
        raise ValueError("port_days must be >= 0")
    return SandboxApp(Store(state_path), Inventory(seed), faults, clock or _utc_now, port_days=port_days)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Request:
    """What a handler needs of one request."""

    def __init__(self, environ: dict, now: datetime):
        self.environ = environ
        self.now = now
        self.stamp = porting.iso(now)
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        self.path = path.rstrip("/") or "/"
        self.params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)

    def json(self):
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > BODY_MAX:
            raise ApiError(413, f"Request body too large (limit {BODY_MAX} bytes).")
        raw = self.environ["wsgi.input"].read(length) if length > 0 else b""
        if not raw.strip():
            raise invalid([("body", "is required: a JSON object")])
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as problem:
            raise invalid([("body", f"is not valid JSON ({problem})")]) from None
        except RecursionError:
            raise invalid([("body", "is nested too deeply")]) from None
        try:  # what is stored must be echoable as strict JSON
            json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except ValueError:  # NaN or an infinity; an unpaired surrogate (UnicodeEncodeError)
            raise invalid(
                [("body", "holds NaN, an infinity or an unpaired surrogate, which JSON cannot carry")]
            ) from None
        return body


class Response:
    def __init__(self, status: int, data=None, *, pagination: dict | None = None):
        self.status = status
        self.data = data
        self.pagination = pagination


class SandboxApp:
    """The emulator. ``store`` holds the account; ``inventory`` the numbers for sale."""

    def __init__(
        self, store: Store, inventory: Inventory, faults: Faults, clock: Clock,
        *, port_days: int = porting.COMPLETION_DAYS,
    ):
        self.store = store
        self.inventory = inventory
        self.faults = faults
        self.clock = clock
        self.port_days = port_days

    # --- WSGI ------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        self.faults.delay()
        request_id = new_request_id()
        headers = [("X-Request-Id", request_id)]
        request = None
        try:
            request = Request(environ, self.clock())
            validation.check_api_key(environ.get("HTTP_X_API_KEY"))
            self.faults.check_rate()
            self.faults.maybe_fail()
            handler = self._route(request)
            self._complete_ported(request)
            response = handler(request)
        except ApiError as raised:
            error = raised
        except StateFileError as problem:
            error = ApiError(500, f"Sandbox state unavailable: {problem}")
        except Exception:  # a bug in the sandbox: say so in the envelope, trace to the server log
            traceback.print_exc(file=environ.get("wsgi.errors", sys.stderr))
            error = ApiError(500, "Unexpected sandbox error (see the server log).")
        else:
            if response.status == 204:
                return self._send(start_response, 204, b"", headers)
            meta: dict[str, object] = {"request_id": request_id, "timestamp": request.stamp}
            if response.pagination is not None:
                meta["pagination"] = response.pagination
            return self._send(start_response, response.status, _encode({"data": response.data, "meta": meta}), headers)
        stamp = request.stamp if request is not None else porting.iso(self.clock())
        body = envelope(error.code, error.message, error.details, request_id, stamp)
        return self._send(start_response, error.status, _encode(body), headers + error.headers)

    def _send(self, start_response, status: int, body: bytes, headers: list) -> list[bytes]:
        if body:
            headers = [*headers, ("Content-Type", "application/json")]
        headers = [*headers, ("Content-Length", str(len(body)))]
        start_response(f"{status} {REASONS.get(status, '')}".rstrip(), headers)
        return [body]

    def _route(self, request: Request) -> Callable[[Request], Response]:
        path = request.path
        if path == PREFIX:
            allowed = {"GET": self.list_numbers}
        elif path == PREFIX + "/available":
            allowed = {"GET": self.search}
        elif path == PREFIX + "/purchase":
            allowed = {"POST": self.purchase}
        elif path == PREFIX + "/porting":
            allowed = {"POST": self.submit_port}
        elif path.startswith(PREFIX + "/porting/") and path.count("/") == 5:
            allowed = {"GET": self.port_status}
        elif path.startswith(PREFIX + "/") and path.endswith("/routing") and path.count("/") == 5:
            allowed = {"PUT": self.set_routing}
        elif path.startswith(PREFIX + "/") and path.count("/") == 4:
            allowed = {"GET": self.get_number, "PUT": self.configure, "DELETE": self.release}
        else:
            raise ApiError(404, f"No such endpoint: {request.method} {path}")
        handler = allowed.get(request.method)
        if handler is None:
            raise ApiError(
                405,
                f"{request.method} is not allowed on {path}; allowed: {', '.join(allowed)}",
                headers=[("Allow", ", ".join(allowed))],
            )
        return handler

    # --- search and purchase ---------------------------------------------------------------

    def search(self, request: Request) -> Response:
        query = validation.search_query(request.params)
        state = self.store.current()
        rows = self.inventory.search(
            query.country,
            number_type=query.type,
            area_code=query.area_code,
            contains=query.contains,
            capabilities=query.capabilities,
            is_owned=lambda number: state.owns(number, query.country),
            limit=min(query.limit, self.faults.search_limit),
        )
        return Response(200, [row.as_json() for row in rows])

    def purchase(self, request: Request) -> Response:
        body = request.json()
        wanted = validation.purchase_body(body)
        number, country = wanted.phone_number, wanted.country_code
        if number.startswith("+"):
            home = home_country(number, country)
            if home is None:
                raise invalid([("phone_number", f"{number} is not a valid phone number")])
            if home != country:
                raise invalid([("country_code", f"{number} is a {home} number, not {country}")])
        row = self.inventory.lookup(country, number)
        if row is None:
            raise ApiError(409, f"{number} is not available: it is not in the {country} inventory.")
        if row.placeholder and wanted.id is None:
            raise invalid([("id", f"{number} is carrier-allocated: forward the inventory id of its search row")])
        if wanted.id is not None and wanted.id != row.id:
            raise invalid([("id", f"{wanted.id} is not the inventory row of {number}")])
        unsupported = [c for c in wanted.capabilities if c not in row.capabilities]
        if unsupported:
            raise invalid(
                [
                    (
                        "capabilities",
                        f"{number} cannot provide {', '.join(unsupported)} (it offers {', '.join(row.capabilities)})",
                    )
                ]
            )
        regulated = country in countries.REGULATED
        hold = regulated and not validation.profile_covers(wanted.compliance_profile_id, country)
        with self.store.write() as draft:
            if draft.owns(number, country):
                raise ApiError(409, f"{number} is no longer available: it is already on the account.")
            record = draft.add_number(
                records.new_record(
                    number_id=_new_id("num", draft.next_seq, number),
                    number=number,
                    country=country,
                    number_type=row.type,
                    region=row.region,
                    capabilities=_purchased_capabilities(row.capabilities, wanted.capabilities),
                    supported=row.capabilities,
                    status="regulatory_hold" if hold else "active",
                    monthly_cost=row.monthly_cost,
                    at=request.stamp,
                    compliance_profile_id=wanted.compliance_profile_id,
                    inventory_id=row.id,
                )
            )
            lost = self.faults.lose_purchase_response()
            entry = _audit(request, 503 if lost else 201, record["id"], number, body=body)
            if lost:
                entry["response_lost"] = True
            draft.record(entry)
        self.faults.hold_purchase()
        if lost:
            raise ApiError(
                503, "Service unavailable (the sandbox dropped this purchase's response after it committed)."
            )
        return Response(201, records.shape(record, records.PURCHASE_FIELDS))

    # --- the account -----------------------------------------------------------------------

    def list_numbers(self, request: Request) -> Response:
        query = validation.list_query(request.params)
        after = _decode_cursor(query.cursor) if query.cursor else 0
        state = self.store.current()

        def matches(record: dict) -> bool:
            if query.country is not None and record["country"] != query.country:
                return False
            return all(c in record["capabilities"] for c in query.capabilities)

        page: list[dict] = []
        has_more = False
        for record in state.records_after(after):
            if matches(record):
                if len(page) == query.limit:
                    has_more = True
                    break
                page.append(record)
        if query.country is None and not query.capabilities:
            total = len(state.numbers)
        else:
            total = sum(1 for record in state.numbers.values() if matches(record))
        cursor = _encode_cursor(page[-1]["_seq"]) if page else query.cursor
        return Response(
            200,
            [records.shape(record, records.LIST_FIELDS) for record in page],
            pagination={"cursor": cursor, "has_more": has_more, "total": total},
        )

    def get_number(self, request: Request) -> Response:
        number_id = _last_segment(request)
        record = self.store.current().numbers.get(number_id)
        if record is None:
            raise _no_number(number_id)
        return Response(200, records.shape(record, records.DETAIL_FIELDS))

    def configure(self, request: Request) -> Response:
        if self.faults.fail_configure():
            raise ApiError(500, "Internal error (injected by the sandbox's fail_configure).")
        number_id = _last_segment(request)
        if number_id not in self.store.current().numbers:
            raise _no_number(number_id)
        body = request.json()
        changes = validation.configure_body(body)
        with self.store.write() as draft:
            record = draft.numbers.get(number_id)
            if record is None:
                raise _no_number(number_id)
            updated = _configured(record, changes)
            updated["updated_at"] = request.stamp
            draft.replace_number(updated)
            draft.record(_audit(request, 200, number_id, record["number"], body=body))
        return Response(200, records.shape(updated, records.CONFIGURE_FIELDS))

    def set_routing(self, request: Request) -> Response:
        """PUT /numbers/{phoneNumber}/routing: which agent answers the number (404 unless the
        account holds it, then the body: ``{"agent_id": "..."}``, null or "" for none)."""
        phone_number = request.path.split("/")[-2]
        if self.store.current().number_id(phone_number) is None:
            raise _no_phone_number(phone_number)
        body = request.json()
        agent_id = validation.routing_body(body)
        with self.store.write() as draft:
            number_id = draft.number_id(phone_number)
            if number_id is None:
                raise _no_phone_number(phone_number)
            updated = {**draft.numbers[number_id], "agent_id": agent_id, "updated_at": request.stamp}
            draft.replace_number(updated)
            draft.record(_audit(request, 200, number_id, phone_number, body=body))
        return Response(200, records.shape(updated, records.ROUTING_FIELDS))

    def release(self, request: Request) -> Response:
        number_id = _last_segment(request)
        with self.store.write() as draft:
            if number_id not in draft.numbers:
                raise _no_number(number_id)
            record = draft.remove_number(number_id)
            draft.record(_audit(request, 204, number_id, record["number"]))
        return Response(204)

    # --- porting ---------------------------------------------------------------------------

    def submit_port(self, request: Request) -> Response:
        submission = validation.porting_body(request.json())
        with self.store.write() as draft:
            errors = [
                (f"numbers[{index}]", f"{number} is already on your account")
                for index, number in enumerate(submission.numbers)
                if draft.owns(number)
            ]
            if errors:
                raise invalid(errors)
            for port in draft.porting.values():
                if not port.get("_applied"):
                    clash = sorted(set(port["numbers"]) & set(submission.numbers))
                    if clash:
                        raise ApiError(409, f"{', '.join(clash)} already in porting request {port['id']}.")
            elsewhere = [number for number in submission.numbers if self.inventory.held_by_another_account(number)]
            if elsewhere:
                raise ApiError(
                    409, f"{', '.join(elsewhere)} already on another Orbit account: it cannot be ported in."
                )
            port = porting.new_port(
                _new_id("port", draft.next_seq, ",".join(submission.numbers)),
                submission.numbers,
                submission.current_carrier,
                submission.authorization_name,
                submission.account_number,
                request.now,
                self.port_days,
            )
            draft.next_seq += 1
            draft.put_port(port)
            entry = _audit(request, 201, None, None)
            entry.update(port_id=port["id"], numbers=list(submission.numbers))
            draft.record(entry)
            if porting.due({port["id"]: port}, request.now):  # port_days=0: done at once
                self._land(draft, port, request)
        return Response(201, porting.view(port, request.now))

    def port_status(self, request: Request) -> Response:
        port = self.store.current().porting.get(_last_segment(request))
        if port is None:
            raise ApiError(404, f"No porting request with id {_last_segment(request)}.")
        return Response(200, porting.view(port, request.now))

    def _complete_ported(self, request: Request) -> None:
        """Numbers of porting requests that completed by now join the account (once)."""
        if not porting.due(self.store.current().porting, request.now):
            return
        with self.store.write() as draft:
            for port in porting.due(draft.porting, request.now):
                self._land(draft, port, request)

    def _land(self, draft: Draft, port: dict, request: Request) -> None:
        """The numbers of the completed ``port`` join the account (``number.ported``)."""
        for number in port["numbers"]:
            if draft.owns(number):  # bought while the port was pending
                continue
            record = draft.add_number(
                porting.ported_record(number, _new_id("num", draft.next_seq, number), port["estimated_completion"])
            )
            draft.record(
                {
                    "method": "EVENT",
                    "path": "number.ported",
                    "number_id": record["id"],
                    "number": number,
                    "status": 200,
                    "timestamp": request.stamp,
                    "port_id": port["id"],
                }
            )
        draft.put_port({**port, "_applied": True})


# --- helpers ----------------------------------------------------------------------------------


def _purchased_capabilities(offered: tuple[str, ...], asked: tuple[str, ...]) -> tuple[str, ...]:
    """What a number is bought with, in the row's order: the capabilities asked for, plus mms and
    fax, which come with the line (the page's purchase asks sms, voice and gets mms too); with
    none asked, every capability of the row but those only a purchase provisions (whatsapp, rcs:
    registering one is asked for)."""
    if asked:
        chosen = set(asked) | {c for c in offered if c in ("mms", "fax")}
    else:
        chosen = {c for c in offered if c not in validation.PURCHASE_ONLY_CAPABILITIES}
    return tuple(c for c in offered if c in chosen)


def _configured(record: dict, changes: dict) -> dict:
    """``record`` with the validated PUT ``changes`` applied (422 for unsupported toggles). The
    PUT toggles what the line supports; whatsapp and rcs stay as the purchase provisioned them."""
    updated = dict(record)
    if "capabilities" in changes:
        wanted = changes["capabilities"]
        provisioned = record["_provisioned_capabilities"]
        problems = []
        if "fax" in provisioned and "fax" not in wanted:
            problems.append("fax is fixed at provisioning and cannot be turned off on this number")
        unsupported = [c for c in wanted if c not in provisioned]
        if "fax" in unsupported:
            problems.append("fax is fixed at provisioning and this number was provisioned without it")
        others = [c for c in unsupported if c != "fax"]
        if others:
            toggles = [c for c in provisioned if c in validation.CONFIGURE_CAPABILITIES]
            problems.append(f"this number cannot provide {', '.join(others)} (its line supports {', '.join(toggles)})")
        if problems:
            raise invalid([("capabilities", problem) for problem in problems])
        kept = [c for c in record["capabilities"] if c in validation.PURCHASE_ONLY_CAPABILITIES]
        updated["capabilities"] = list(wanted) + kept
    for key in ("label", "forwarding_number", "sms_forwarding", "tags", "channel_config", "compliance_profile_id"):
        if key in changes:
            updated[key] = changes[key]
    if "webhook_url" in changes:
        updated["sms_webhook_url"] = updated["voice_webhook_url"] = changes["webhook_url"]
    if "status" in changes:
        if record["status"] == "regulatory_hold":
            updated["_requested_status"] = changes["status"]
        else:
            updated["status"] = changes["status"]
    if updated["status"] == "regulatory_hold" and validation.profile_covers(
        updated["compliance_profile_id"], updated["country"]
    ):
        updated["status"] = updated.get("_requested_status") or "active"
        updated["_requested_status"] = None
    return updated


def _audit(request: Request, status: int, number_id: str | None, number: str | None, *, body=None) -> dict:
    """An audit entry; ``body``: the request body as sent (purchases and PUTs; never a port's,
    whose PIN is never kept)."""
    entry = {
        "method": request.method,
        "path": request.path,
        "number_id": number_id,
        "number": number,
        "status": status,
        "timestamp": request.stamp,
    }
    if body is not None:
        entry["body"] = body
    return entry


def _new_id(kind: str, seq: int, salt: str) -> str:
    return f"{kind}_" + hashlib.blake2b(f"{seq}|{salt}".encode(), digest_size=6).hexdigest()


def _no_number(number_id: str) -> ApiError:
    return ApiError(404, f"No number with id {number_id} on this account.")


def _no_phone_number(phone_number: str) -> ApiError:
    return ApiError(404, f"No number {phone_number} on this account.")


def _last_segment(request: Request) -> str:
    return request.path.rsplit("/", 1)[-1]


def _encode_cursor(seq: int) -> str:
    token = base64.urlsafe_b64encode(json.dumps({"after": seq}).encode()).decode().rstrip("=")
    return "cur_" + token


def _decode_cursor(cursor: str) -> int:
    try:
        if not cursor.startswith("cur_"):
            raise ValueError
        token = cursor[4:]
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after = data["after"]
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError
        return after
    except (ValueError, KeyError, TypeError):
        raise invalid([("cursor", "is not a cursor returned by this API")]) from None


def _encode(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
