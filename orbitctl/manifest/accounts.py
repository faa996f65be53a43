"""``account:``: the names of the environment variables that hold a stack's credentials.

A manifest names variables, never their values: it is committed, printed by plan and saved in
plan files. Three rules beyond the schema's:

- a value that looks like an API key itself (the documented ``dv_live_sk_``/``dv_test_sk_``
  prefixes, or a long run of letters and digits that is no variable's name) is an error that
  never repeats the value (``check_names``, before the schema check, whose message would);
- every ``api_key_env`` a run names holds an API key, which no manifest may substitute
  (``key_variables``: the loader adds them to the variables ``${VAR}`` may not name);
- when the credentials are needed (plan, apply: not ``validate``, not ``--sandbox``), the key's
  variable a manifest names must be set (``check_set``), an error at the line that names it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from orbitctl.environment import API_KEY_PREFIXES
from orbitctl.manifest.document import Document
from orbitctl.manifest.merge import Merged
from orbitctl.manifest.problems import Problem

#: The keys of ``account:``.
ACCOUNT_KEYS = ("api_key_env", "api_url_env")

#: Shorter than this, a value that is not a variable's name is a typo, not a key.
_KEY_LIKE_LENGTH = 16
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALLOWED_NAME = "allowed: the name of an environment variable, e.g. ORBIT_API_KEY_STAGING"


def looks_like_a_key(value: str) -> bool:
    """Whether ``value``, written where a variable's name belongs, looks like a credential."""
    if value.lower().startswith(API_KEY_PREFIXES):
        return True
    return (
        len(value) >= _KEY_LIKE_LENGTH
        and not _VARIABLE_NAME.fullmatch(value)
        and not any(char.isspace() for char in value)
        and any(char.isdigit() for char in value)
        and any(char.isalpha() for char in value)
    )


def check_names(document: Document) -> list[Problem]:
    """A problem for each value of the document's ``account:`` that looks like a key."""
    account = document.data.get("account") if isinstance(document.data, dict) else None
    if not isinstance(account, dict):
        return []
    problems = []
    for key in ACCOUNT_KEYS:
        value = account.get(key)
        if isinstance(value, str) and looks_like_a_key(value):
            problems.append(document.problem(
                ("account", key),
                "this looks like a credential itself, not the name of the environment variable that holds it: "
                "a manifest is committed, printed by plan and saved in plan files. Remove it (and revoke the key "
                "if it was committed), export it as a variable and name the variable here "
                f"({_ALLOWED_NAME})",
            ))
    return problems


def key_variables(documents: Iterable[Document]) -> set[str]:
    """The variables the documents' ``account.api_key_env`` name."""
    names = set()
    for document in documents:
        account = document.data.get("account") if isinstance(document.data, dict) else None
        if isinstance(account, dict) and isinstance(account.get("api_key_env"), str):
            names.add(account["api_key_env"])
    return names


def check_set(merged: Merged, environ: Mapping[str, str]) -> list[Problem]:
    """A problem when ``account.api_key_env`` names a variable that is not set (or blank)."""
    placed = merged.account
    if placed is None or not isinstance(placed.value, dict):
        return []
    name = placed.value.get("api_key_env")
    if not isinstance(name, str) or (environ.get(name) or "").strip():
        return []
    return [placed.problem(
        f"the environment variable {name} is not set, and this stack's account reads its API key from it "
        f"(required: export {name} with the account's key, or run with --sandbox; orbitctl validate needs no key)",
        sub=("api_key_env",),
    )]
