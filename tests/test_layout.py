"""The import rules of docs/architecture.md, checked from the source (every import, also those
inside functions), and each package's docstring saying the same."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "orbitctl"

#: What each package may import of orbitctl besides itself. The root (``from orbitctl import
#: __version__``) is open to all; ``cli`` may import anything, and nothing imports it.
ALLOWED = {
    "account": {"model", "errors", "frozen", "environment"},
    "apply": {"model", "errors", "frozen", "values", "statedir", "atomicfile", "account", "plan"},
    "manifest": {"model", "errors", "frozen", "environment", "planfile"},
    "plan": {"model", "errors", "frozen"},
    "render": {"model", "frozen", "values"},
    "sandbox": set(),
}

#: Modules whose use would be I/O (network, files, clock, randomness, processes): never in plan/.
IO_MODULES = {"httpx", "os", "pathlib", "socket", "time", "datetime", "random", "subprocess", "shutil",
              "tempfile", "urllib", "io", "threading", "concurrent"}


def _modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)


def _place(path: Path) -> str:
    """The package a module belongs to (``plan``), or its own name for a top-level module."""
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else Path(parts[0]).stem


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in ``path``; ``from X import a`` gives X and X.a."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import (write it absolute)"
            found.append((node.lineno, node.module or ""))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _orbitctl_target(name: str) -> str | None:
    """``model`` for ``orbitctl.model.Plan``; None for the root, its version, or a non-orbitctl name."""
    parts = name.split(".")
    if parts[0] != "orbitctl" or len(parts) == 1 or parts[1].startswith("__"):
        return None
    return parts[1]


def _violations(allowed_for) -> list[str]:
    problems = []
    for path in _modules():
        place = _place(path)
        for line, name in _imports(path):
            target = _orbitctl_target(name)
            if target is None or target == place:
                continue
            if not allowed_for(place, target):
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {place} imports orbitctl.{target}")
    return problems


def test_nothing_below_the_cli_imports_it():
    assert _violations(lambda place, target: target != "cli" or place == "__main__") == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_it_may(package):
    allowed = ALLOWED[package]
    assert _violations(lambda place, target: place != package or target in allowed) == []


def test_the_plan_does_no_io():
    problems = []
    for path in (PACKAGE / "plan").rglob("*.py"):
        for line, name in _imports(path):
            if name.split(".")[0] in IO_MODULES:
                problems.append(f"{path.name}:{line}: imports {name}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("open", "input"):
                problems.append(f"{path.name}:{node.lineno}: calls {node.func.id}()")
    assert problems == []


def _may_import(package: str) -> set[str]:
    """The modules the package's docstring names after "May import:" (up to "Never")."""
    docstring = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring and "May import:" in docstring, f"{package}/__init__.py says nothing of its imports"
    sentence = re.split(r"\bNever\b", docstring.split("May import:", 1)[1])[0]
    named = {name.removeprefix("orbitctl.") for name in re.findall(r"``([\w.]+)``", sentence)}
    return named - {package}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_docstring_says_what_it_may_import(package):
    assert _may_import(package) == ALLOWED[package]


def test_the_rules_catch_a_breach(tmp_path):
    # the checks see an import inside a function, and a breach of each kind of rule
    source = "def f():\n    from orbitctl.cli import main\n    import orbitctl.apply.executor\n"
    path = tmp_path / "probe.py"
    path.write_text(source)
    names = [name for _, name in _imports(path)]
    assert [_orbitctl_target(name) for name in names] == ["cli", "cli", "apply"]
    assert _orbitctl_target("orbitctl.__version__") is None and _orbitctl_target("httpx") is None


def test_a_command_s_start_imports_neither_rich_nor_httpx_s_command_line_tool():
    """Every command pays for its start: httpx's own command-line tool (rich, pygments) is never
    imported, and rich only for a progress bar on a terminal."""
    import subprocess
    import sys

    probe = (
        "import sys, orbitctl.cli, orbitctl.account.client, httpx; "
        "print(sorted(name for name in ('rich', 'pygments') if name in sys.modules), sys.modules['httpx._main'])"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "[] None"
