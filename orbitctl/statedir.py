"""Where orbitctl keeps the files of a checkout: the apply lock, the purchase journal and the
embedded sandbox's account, in ``.orbitctl/``."""

from __future__ import annotations

from pathlib import Path

#: The folder of per-checkout files.
STATE_DIR = Path(".orbitctl")
