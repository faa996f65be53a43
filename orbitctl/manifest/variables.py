"""``${VAR}`` in string values, replaced from the environment.

``${NAME}`` (letters, digits, ``_``; not starting with a digit) is replaced by the variable's
value; a variable that is not set is an error naming it. ``$${`` writes a literal ``${``
(``$${HOME}`` stays ``${HOME}``). A ``$`` not followed by ``{`` is left as it is. Mapping keys
are never substituted, and a substituted value is always a string.

A carrier PIN (``numbers.<name>.port_in.pin``) is never substituted: it stays the ``${NAME}`` it
is written as, and apply reads the variable when it submits the port, so the PIN itself is in
nothing orbitctl prints, saves or fingerprints. The schema allows nothing else there.

The API key never enters a manifest: a manifest may not substitute a variable that holds it
(``key_variables``: ``ORBIT_API_KEY`` unless told otherwise), set or not, nor any other variable
whose value contains the value of one of them. Either is an error naming the variable; what a
manifest holds is printed by plan, saved in plan files and sent to the API.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from orbitctl.environment import API_KEY_VARIABLE
from orbitctl.manifest.document import Document, KeyPath
from orbitctl.manifest.problems import Problem
from orbitctl.manifest.yamlload import lone_surrogate

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)(\}?)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WHOLE_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ALLOWED = "allowed: ${NAME} with letters, digits and _; write $${ for a literal ${"


#: The variables that hold API keys, by default.
DEFAULT_KEY_VARIABLES = (API_KEY_VARIABLE,)


def substitute(
    document: Document, environ: Mapping[str, str], *, key_variables: Collection[str] = DEFAULT_KEY_VARIABLES
) -> list[Problem]:
    """Replace every ``${VAR}`` in the document's string values, in place; return the problems.

    ``key_variables`` name the variables that hold API keys (see the module docstring)."""
    problems: list[Problem] = []
    keys = _Keys(environ, key_variables)
    document.data = _walk(document.data, (), document, environ, keys, problems)
    return problems


class _Keys:
    """The key variables, and the key values they hold (stripped, as the client reads them)."""

    def __init__(self, environ: Mapping[str, str], names: Collection[str]):
        self.names = frozenset(names)
        self.values = {name: environ[name].strip() for name in sorted(self.names) if environ.get(name, "").strip()}

    def holder(self, value: str) -> str | None:
        """The key variable whose key ``value`` contains, if any."""
        return next((name for name, key in self.values.items() if key in value), None)


def referenced_variable(text: str) -> str | None:
    """``NAME`` when ``text`` is exactly one reference ``${NAME}``, else None."""
    match = _WHOLE_REFERENCE.fullmatch(text)
    return match.group(1) if match else None


def is_pin_path(path: KeyPath) -> bool:
    """Whether ``path`` is where an entry's ``port_in`` names the variable of a carrier PIN."""
    return len(path) == 4 and path[0] == "numbers" and path[2:] == ("port_in", "pin")


def _walk(value: Any, path: KeyPath, document: Document, environ, keys: _Keys, problems) -> Any:
    if is_pin_path(path):
        if isinstance(value, str) and referenced_variable(value) in keys.names:
            problems.append(document.problem(path, f"{value} would send the Orbit API key as the carrier PIN "
                                             "(allowed: the variable holding the carrier account's PIN)"))
        return value
    if isinstance(value, dict):
        return {key: _walk(item, (*path, key), document, environ, keys, problems) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, (*path, index), document, environ, keys, problems) for index, item in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _expand(value, path, document, environ, keys, problems)
    return value


def _expand(text: str, path: KeyPath, document: Document, environ, keys: _Keys, problems) -> str:
    def replace(match: re.Match) -> str:
        if match.group(0) == "$${":
            return "${"
        name, closed = match.group(1), match.group(2)
        if not closed:
            problems.append(document.problem(path, f"'${{' without a closing '}}' ({_ALLOWED})"))
            return match.group(0)
        if not _NAME.fullmatch(name):
            problems.append(document.problem(path, f"'${{{name}}}' is not a variable reference ({_ALLOWED})"))
            return match.group(0)
        if name in keys.names:
            problems.append(
                document.problem(path, f"${{{name}}} would put the Orbit API key into the manifest, where plans "
                                 f"print it, plan files keep it and the API receives it as data; orbitctl "
                                 f"reads {name} itself (allowed: any other variable)")
            )
            return match.group(0)
        if name not in environ:
            problems.append(
                document.problem(path, f"the environment variable {name} is not set "
                                 f"(allowed: set {name}, or write $${{{name}}} for a literal ${{{name}}})")
            )
            return match.group(0)
        if lone_surrogate(environ[name]):
            problems.append(
                document.problem(path, f"the environment variable {name} holds bytes that are not UTF-8 "
                                 f"text (allowed: set {name} to UTF-8 text)")
            )
            return match.group(0)
        holder = keys.holder(environ[name])
        if holder is not None:
            problems.append(
                document.problem(path, f"the environment variable {name} holds the Orbit API key (the value "
                                 f"of {holder}), which a manifest may not contain: plans would print it "
                                 f"(allowed: a variable that does not hold the key)")
            )
            return match.group(0)
        return environ[name]

    return _REFERENCE.sub(replace, text)
