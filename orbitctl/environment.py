"""The environment variables orbitctl reads for the account, named in one place: the client
reads them, the manifest refuses to substitute the key, the CLI's help names them. A manifest's
``account:`` may name others for its stack; these are the defaults."""

from __future__ import annotations

#: The environment variable that holds the API key.
API_KEY_VARIABLE = "ORBIT_API_KEY"
#: The environment variable that holds the base URL (the client's default when unset).
BASE_URL_VARIABLE = "ORBIT_API_URL"

#: Prefixes every key of the documented form starts with (``orbit-numbers-api.txt``): the same
#: for every key, so not secret, and the mark of a key written where a variable's name belongs.
API_KEY_PREFIXES = ("dv_live_sk_", "dv_test_sk_")
