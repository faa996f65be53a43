"""The one error the sandbox's handlers raise, and the one envelope every error response has."""

from __future__ import annotations

import secrets

#: HTTP status -> the envelope's ``error.code``.
CODES = {
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "internal_error",
}

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An error response: status, message, per-field ``details`` and extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[tuple[str, str]] | None = None,
        headers: list[tuple[str, str]] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = CODES[status]
        self.message = message
        self.details = list(details or [])
        self.headers = list(headers or [])


def invalid(details: list[tuple[str, str]]) -> ApiError:
    """A 422 naming every invalid field."""
    summary = "; ".join(f"{field}: {message}" for field, message in details)
    return ApiError(422, f"Invalid request: {summary}", details)


def new_request_id() -> str:
    return "req_" + secrets.token_hex(8)


def envelope(code: str, message: str, details: list[tuple[str, str]], request_id: str, timestamp: str) -> dict:
    """The body of every error response (the app's and the HTTP server's alike)."""
    return {
        "error": {"code": code, "message": message, "details": [{"field": f, "message": m} for f, m in details]},
        "meta": {"request_id": request_id, "timestamp": timestamp},
    }
