"""``${VAR}`` in string values, replaced from the environment.

``${NAME}`` (letters, digits, ``_``; not starting with a digit) is replaced by the variable's
value; a variable that is not set is an error naming it. ``$${`` writes a literal ``${``
(``$${HOME}`` stays ``${HOME}``). A ``$`` not followed by ``{`` is left as it is. Mapping keys
are never substituted, and a substituted value is always a string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from orbitctl.manifest.document import Document, KeyPath
from orbitctl.manifest.problems import Problem
from orbitctl.manifest.yamlload import lone_surrogate

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)(\}?)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALLOWED = "allowed: ${NAME} with letters, digits and _; write $${ for a literal ${"


def substitute(document: Document, environ: Mapping[str, str]) -> list[Problem]:
    """Replace every ``${VAR}`` in the document's string values, in place; return the problems."""
    problems: list[Problem] = []
    document.data = _walk(document.data, (), document, environ, problems)
    return problems


def _walk(value: Any, path: KeyPath, document: Document, environ, problems) -> Any:
    if isinstance(value, dict):
        return {key: _walk(item, (*path, key), document, environ, problems) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, (*path, index), document, environ, problems) for index, item in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _expand(value, path, document, environ, problems)
    return value


def _expand(text: str, path: KeyPath, document: Document, environ, problems) -> str:
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
        return environ[name]

    return _REFERENCE.sub(replace, text)
