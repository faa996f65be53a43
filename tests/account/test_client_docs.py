"""docs/client.md stays true: its script runs as written against the served sandbox, its
exception tree is the one the code has, and the package tells type checkers it is typed."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from orbitctl.account import api

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "client.md").read_text(encoding="utf-8")


def test_the_script_on_the_page_runs_as_written(sandbox_server, orbit_env, capsys):
    [script] = re.findall(r"```python\n(.*?)```", PAGE, re.S)
    orbit_env(sandbox_server().url)
    with pytest.raises(SystemExit) as ended:
        exec(compile(script, "docs/client.md", "exec"), {"__name__": "__main__"})
    out, err = capsys.readouterr()
    assert ended.value.code == 0, err
    assert re.match(r"bought \+1415\d{7} for 1\.\d\d USD a month\n", out)
    assert "Main Support Line  since 20" in out
    assert "tags: support | agent: agt_support" in out


def test_the_exception_tree_on_the_page_is_the_code_s():
    tree = PAGE[PAGE.index("## Errors"):PAGE.index("Messages say what was being done")]
    named = re.findall(r"^(?:[├└]── )?(\w+Error) ", tree, re.M)
    errors = {name for name, value in vars(api).items()
              if isinstance(value, type) and issubclass(value, api.OrbitError)}
    assert named[0] == "OrbitError" and set(named) == errors
    for name in named[1:]:
        assert getattr(api, name).__bases__[0] is api.OrbitError, name


def test_the_package_is_marked_typed_and_ships_the_marker():
    assert resources.files("orbitctl").joinpath("py.typed").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["orbitctl"]
