"""What every command shares: where the API is and how to reach it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Where orbitctl keeps per-checkout files (sandbox state, purchase journal).
STATE_DIR = Path(".orbitctl")
DEFAULT_SANDBOX_STATE = STATE_DIR / "sandbox.json"


@dataclass
class CliContext:
    sandbox: bool = False
    sandbox_state: str | None = None

    @property
    def sandbox_state_path(self) -> Path:
        return Path(self.sandbox_state) if self.sandbox_state else DEFAULT_SANDBOX_STATE
