"""The environment variables orbitctl reads for the account, named in one place: the client
reads them, the manifest refuses to substitute the key, the CLI's help names them."""

from __future__ import annotations

#: The environment variable that holds the API key.
API_KEY_VARIABLE = "ORBIT_API_KEY"
#: The environment variable that holds the base URL (the client's default when unset).
BASE_URL_VARIABLE = "ORBIT_API_URL"
