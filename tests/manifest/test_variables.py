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
