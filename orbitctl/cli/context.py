"""What every command shares: where the API is and how to reach it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Where orbitctl keeps per-checkout files (sandbox state, purchase journal).
STATE_DIR = Path(".orbitctl")
DEFAULT_SANDBOX_STATE = STATE_DIR / "sandbox.json"

#: The embedded sandbox needs a key of the documented form; it is not a secret.
SANDBOX_API_KEY = "dv_test_sk_embedded_sandbox"
SANDBOX_BASE_URL = "http://sandbox.orbitctl.invalid"


@dataclass
class CliContext:
    sandbox: bool = False
    sandbox_state: str | None = None

    @property
    def sandbox_state_path(self) -> Path:
        return Path(self.sandbox_state) if self.sandbox_state else DEFAULT_SANDBOX_STATE

    def make_client(self):
        """An OrbitClient: the embedded sandbox in-process with --sandbox, else from the env."""
        from orbitctl.client import OrbitClient

        if not self.sandbox:
            return OrbitClient.from_env()
        import httpx

        from orbitctl.sandbox.app import create_app

        state = self.sandbox_state_path
        state.parent.mkdir(parents=True, exist_ok=True)
        transport = httpx.WSGITransport(app=create_app(state))
        return OrbitClient(SANDBOX_API_KEY, SANDBOX_BASE_URL, transport=transport)
