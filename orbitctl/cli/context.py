"""What every command shares: where the API is and how to reach it, and where the checkout keeps
its ``.orbitctl/`` folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from orbitctl.errors import OrbitctlError
from orbitctl.model import DEFAULT_ACCOUNT, AccountRef
from orbitctl.render import should_color
from orbitctl.statedir import state_dir

#: The embedded sandbox's account, in the checkout's ``.orbitctl/``.
SANDBOX_STATE_FILENAME = "sandbox.json"

#: The embedded sandbox needs a key of the documented form; it is not a secret.
SANDBOX_API_KEY = "dv_test_sk_embedded_sandbox"
SANDBOX_BASE_URL = "http://sandbox.orbitctl.invalid"


#: The environment variable that may stand in for ``--sandbox-port-days``.
SANDBOX_PORT_DAYS_ENV = "ORBITCTL_SANDBOX_PORT_DAYS"


def port_days_knob(days: int | None) -> dict[str, Any]:
    """The sandbox's ``port_days`` knob as keywords of ``create_app``: none when not given, so the
    sandbox's own default holds."""
    return {} if days is None else {"port_days": days}


@dataclass
class CliContext:
    sandbox: bool = False
    sandbox_state: str | None = None
    #: days the embedded sandbox takes to complete a porting request (None: its default)
    sandbox_port_days: int | None = None
    #: the manifests (or saved plan) the command reads: they say which checkout's ``.orbitctl/``
    state_anchors: tuple[str, ...] = ()
    #: ``--color``: auto, always or never
    color: str = "auto"

    @property
    def state_dir(self) -> Path:
        """The checkout's ``.orbitctl/`` (``statedir.state_dir`` of ``state_anchors``)."""
        return state_dir(self.state_anchors)

    def colors(self, stream: IO | None) -> bool:
        """Whether output to ``stream`` is coloured (``--color``, NO_COLOR, FORCE_COLOR, a terminal)."""
        return should_color(stream, self.color)

    @property
    def sandbox_state_path(self) -> Path:
        return Path(self.sandbox_state) if self.sandbox_state else self.state_dir / SANDBOX_STATE_FILENAME

    def sandbox_account_path(self, account: AccountRef = DEFAULT_ACCOUNT) -> Path:
        """The state file of ``account``'s emulated account: ``sandbox_state_path`` for the default
        account, beside it ``sandbox-<binding>.json`` for a stack's ``account:``, so that two
        accounts of a run are two accounts of the sandbox too."""
        path = self.sandbox_state_path
        if account.is_default:
            return path
        return path.with_name(f"{path.stem}-{sandbox_slug(account)}{path.suffix}")

    def make_client(self, account: AccountRef = DEFAULT_ACCOUNT):
        """An OrbitClient for ``account`` (a stack's ``account:``; default ``ORBIT_API_KEY`` and
        ``ORBIT_API_URL``): the embedded sandbox in-process with --sandbox, else from the env."""
        # Imported here: httpx and the emulator take 0.05 s and 0.3 s to import, which `validate`
        # and `--help` need not pay.
        from orbitctl.account.api import ConfigurationError
        from orbitctl.account.client import OrbitClient

        if not self.sandbox:
            try:
                client = OrbitClient.from_env(key_variable=account.api_key_env, url_variable=account.api_url_env)
                if account.api_key_env != DEFAULT_ACCOUNT.api_key_env:
                    client.account_binding = account.api_key_env
                return client
            except ConfigurationError as problem:
                if (os.environ.get(account.api_key_env) or "").strip():
                    raise
                raise OrbitctlError(
                    f"{problem}, or use --sandbox to run against the local emulator with no account."
                ) from None
        import httpx

        from orbitctl.sandbox.app import create_app
        from orbitctl.sandbox.store import StateFileError

        state = self.sandbox_account_path(account)
        try:
            state.parent.mkdir(parents=True, exist_ok=True)
        except OSError as problem:
            raise OrbitctlError(
                f"--sandbox: cannot make the folder for the state file {state}: {problem.strerror}"
            ) from None
        app = create_app(state, **port_days_knob(self.sandbox_port_days))
        try:
            app.store.current()  # a damaged state file is a local problem: say so now
        except StateFileError as problem:
            raise OrbitctlError(
                f"--sandbox: {problem}; delete {state} to start the sandbox account afresh"
            ) from None
        transport = httpx.WSGITransport(app=app)
        base_url = SANDBOX_BASE_URL
        if not account.is_default:  # its own address: the journal and the porting requests tell accounts apart by it
            base_url = base_url.replace("://", f"://{sandbox_slug(account).replace('_', '-')}.", 1)
        return OrbitClient(SANDBOX_API_KEY, base_url, transport=transport)


def sandbox_slug(account: AccountRef) -> str:
    """``orbit_api_key_staging`` (and ``-orbit_api_url_staging`` when the URL's variable is not the
    default): how the sandbox names an account of ``account:``."""
    names = [account.api_key_env] if account.api_url_env == DEFAULT_ACCOUNT.api_url_env else [
        account.api_key_env, account.api_url_env]
    return "-".join(name.lower() for name in names)
