"""``${VAR}`` substitution: from the environment given (default os.environ), ``$${`` escapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from orbitctl.manifest import ManifestError, load_manifests


def label_of(tmp_path: Path, label: str, environ=None) -> str:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(f"version: 1\nstack: s\nnumbers:\n  a:\n    country: US\n    label: '{label}'\n")
    return load_manifests([manifest], environ=environ).entries["a"].config["label"]


@pytest.mark.parametrize(
    "written, expected",
    [
        ("${TEAM} line", "Support line"),
        ("${TEAM}-${SITE}", "Support-SF"),
        ("$${TEAM}", "${TEAM}"),
        ("$$${TEAM}", "$${TEAM}"),  # a lone $, then the escape $${
        ("a$$b", "a$$b"),  # $$ not before { is left as it is
        ("cost $5", "cost $5"),
        ("${EMPTY}x", "x"),
        ("no variables", "no variables"),
    ],
)
def test_substitution(tmp_path, written, expected):
    environ = {"TEAM": "Support", "SITE": "SF", "EMPTY": ""}
    assert label_of(tmp_path, written, environ) == expected


def test_environ_defaults_to_os_environ(tmp_path, monkeypatch):
    monkeypatch.setenv("ORBITCTL_TEST_TEAM", "Billing")
    assert label_of(tmp_path, "${ORBITCTL_TEST_TEAM}") == "Billing"


def test_a_substituted_value_is_checked_like_a_written_one(tmp_path):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nstack: s\nnumbers:\n  a:\n    country: US\n    webhook_url: ${HOOK}\n")
    with pytest.raises(ManifestError) as caught:
        load_manifests([manifest], environ={"HOOK": "http://insecure.example.com"})
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (6, "numbers.a.webhook_url")
    assert "https://" in problem.message


def test_every_missing_variable_is_named(tmp_path):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nstack: s\nnumbers:\n  a:\n    country: US\n    label: ${ONE} ${TWO}\n")
    with pytest.raises(ManifestError) as caught:
        load_manifests([manifest], environ={})
    messages = [problem.message for problem in caught.value.problems]
    assert len(messages) == 2
    assert "ONE is not set" in messages[0] and "TWO is not set" in messages[1]


def test_keys_are_not_substituted(tmp_path):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nstack: s\nnumbers:\n  ${NAME}:\n    country: US\n")
    with pytest.raises(ManifestError) as caught:
        load_manifests([manifest], environ={"NAME": "main"})
    (problem,) = caught.value.problems
    assert problem.path == "numbers.${NAME}"


# --- the API key never enters a manifest ------------------------------------------------------

KEY = "dv_live_sk_9fQ2xLm7Tz4Rb8Kc"
STAGING_KEY = "dv_live_sk_stagingStaging42"


def problems_of(tmp_path: Path, label: str, environ: dict, **options) -> list[str]:
    """Every problem loading a manifest whose entry ``a`` has ``label``, as ``file:line:col: message``."""
    manifest = tmp_path / "m.yaml"
    manifest.write_text(f"version: 1\nstack: s\nnumbers:\n  a:\n    country: US\n    label: '{label}'\n")
    with pytest.raises(ManifestError) as caught:
        load_manifests([manifest], environ=environ, **options)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("environ", [{"ORBIT_API_KEY": KEY}, {}], ids=["set", "unset"])
def test_the_key_variable_is_never_substituted(tmp_path, environ):
    (problem,) = problems_of(tmp_path, "k=${ORBIT_API_KEY}", environ)
    where = f"{tmp_path / 'm.yaml'}:6:12: numbers.a.label: "
    assert problem.startswith(where + "${ORBIT_API_KEY} would put the Orbit API key")
    assert KEY not in problem


@pytest.mark.parametrize("value", [KEY, f" {KEY}\n", f"Bearer {KEY}"])
def test_a_variable_holding_the_key_is_refused_naming_it(tmp_path, value):
    environ = {"ORBIT_API_KEY": f"{KEY}\n", "TEAM": "ok", "COPY": value}
    (problem,) = problems_of(tmp_path, "${TEAM} / ${COPY}", environ)
    where = f"{tmp_path / 'm.yaml'}:6:12: numbers.a.label: "
    assert problem.startswith(where + "the environment variable COPY holds the Orbit API key")
    assert "(the value of ORBIT_API_KEY)" in problem and KEY not in problem


def test_a_variable_close_to_the_key_but_not_holding_it_is_substituted(tmp_path):
    environ = {"ORBIT_API_KEY": KEY, "NEAR": KEY[:-1], "EMPTY": ""}
    assert label_of(tmp_path, "${NEAR}${EMPTY}", environ) == KEY[:-1]


def test_the_key_variables_are_a_parameter_and_every_key_value_is_compared(tmp_path):
    """A manifest may name other key variables (``account: {api_key_env: ...}``): each is
    refused by name, and a variable holding any of their values is refused too."""
    environ = {"ORBIT_API_KEY": KEY, "ORBIT_API_KEY_STAGING": STAGING_KEY, "A": KEY, "B": STAGING_KEY}
    names = ("ORBIT_API_KEY", "ORBIT_API_KEY_STAGING")
    label = "${ORBIT_API_KEY_STAGING} ${A} ${B} ${ORBIT_API_KEY}"
    problems = problems_of(tmp_path, label, environ, key_variables=names)
    assert len(problems) == 4
    assert "${ORBIT_API_KEY_STAGING} would put the Orbit API key" in problems[0]
    assert "variable A holds the Orbit API key (the value of ORBIT_API_KEY)" in problems[1]
    assert "variable B holds the Orbit API key (the value of ORBIT_API_KEY_STAGING)" in problems[2]
    assert "${ORBIT_API_KEY} would put the Orbit API key" in problems[3]
    # by default only ORBIT_API_KEY is a key variable
    assert label_of(tmp_path, "${B}", environ) == STAGING_KEY
