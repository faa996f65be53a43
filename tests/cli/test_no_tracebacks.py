"""Bad input a user can give: each gets one clear message on stderr and exit 1, never a traceback.

Each row sets up files in a fresh folder, runs the real CLI (through click's CliRunner, with
exceptions *not* caught, so a traceback fails the test) and asserts the exit code and what the
message must say. Commands that need an account use the embedded sandbox (no network).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from orbitctl.cli import cli

MANIFEST = "version: 1\nstack: prod\nnumbers:\n  a:\n    country: US\n    label: One\n"


def _symlink_loop(folder: Path) -> None:
    os.symlink("loop-b.yaml", folder / "loop-a.yaml")
    os.symlink("loop-a.yaml", folder / "loop-b.yaml")


def _folder_with_a_loop(folder: Path) -> None:
    (folder / "manifests").mkdir()
    (folder / "manifests" / "good.yaml").write_text(MANIFEST)
    os.symlink("other.yaml", folder / "manifests" / "this.yaml")
    os.symlink("this.yaml", folder / "manifests" / "other.yaml")


def _merge_key(folder: Path) -> None:
    (folder / "m.yaml").write_text(
        "version: 1\nstack: prod\nnumbers:\n  a: &base\n    country: US\n"
        "  b:\n    <<: *base\n    label: Two\n"
    )


def _manifest(folder: Path) -> None:
    (folder / "m.yaml").write_text(MANIFEST)


def _file_where_a_folder_should_be(folder: Path) -> None:
    (folder / "taken").write_text("a file, not a folder\n")


# (id, setup, arguments, exit code, texts that stderr must contain)
CASES = [
    (
        "manifest-is-a-symlink-loop",
        _symlink_loop,
        ["validate", "loop-a.yaml"],
        1,
        ["loop-a.yaml:1:1:", "cannot read the file", "symbolic links"],
    ),
    (
        "folder-holds-a-symlink-loop",
        _folder_with_a_loop,
        ["validate", "manifests"],
        1,
        ["this.yaml:1:1:", "cannot read the file"],
    ),
    (
        "manifest-that-never-ends",
        None,
        ["validate", "/dev/zero"],
        1,
        ["/dev/zero:1:1: the file is larger than 64 MiB"],
    ),
    (
        "yaml-merge-key",
        _merge_key,
        ["validate", "m.yaml"],
        1,
        ["m.yaml:7:5: numbers.b.<<:", "merge keys", "defaults"],
    ),
    (
        "validate-a-saved-plan",
        lambda folder: (folder / "plan.json").write_text('{"kind": "orbitctl-plan", "format_version": 1}'),
        ["validate", "plan.json"],
        1,
        ["plan.json:1:1: this is a plan saved by 'orbitctl plan --out', not a manifest"],
    ),
    (
        "apply-a-truncated-plan",
        lambda folder: (folder / "plan.json").write_text(
            '{\n  "kind": "orbitctl-plan",\n  "format_version": 1,\n  "st'
        ),
        ["--sandbox", "--sandbox-state", "s.json", "apply", "plan.json", "--auto-approve"],
        1,
        ["plan.json:1:1: this looks like a plan saved by 'orbitctl plan --out' that was cut short or damaged"],
    ),
    (
        "port-number-with-spaces",
        None,
        [
            "--sandbox",
            "--sandbox-state",
            "s.json",
            "port",
            "+1 415 555 0123",
            "--carrier",
            "Old",
            "--authorization-name",
            "Ann",
        ],
        1,
        ["'+1 415 555 0123' is not in E.164 form", "write it as +14155550123"],
    ),
    (
        "port-carrier-not-utf8",
        None,
        [
            "--sandbox",
            "--sandbox-state",
            "s.json",
            "port",
            "+14155550123",
            "--carrier",
            b"Caf\xe9".decode("utf-8", "surrogateescape"),
            "--authorization-name",
            "Ann",
        ],
        1,
        ["--carrier: the value holds bytes that are not UTF-8 text"],
    ),
    (
        "port-account-number-with-a-line-break",
        None,
        [
            "--sandbox",
            "--sandbox-state",
            "s.json",
            "port",
            "+14155550123",
            "--carrier",
            "Old",
            "--authorization-name",
            "Ann",
            "--account-number",
            "12\n34",
        ],
        1,
        ["--account-number '12\\n34': line breaks and control characters are not allowed"],
    ),
    (
        "export-schema-with-a-line-break",
        None,
        ["--sandbox", "--sandbox-state", "s.json", "export", "--stack", "prod", "--schema", "a\nversion: 2"],
        1,
        ["--schema 'a\\nversion: 2': line breaks and control characters are not allowed"],
    ),
    (
        "export-out-below-a-file",
        _file_where_a_folder_should_be,
        ["--sandbox", "--sandbox-state", "s.json", "export", "--stack", "prod", "--out", "taken/m.yaml"],
        1,
        ["cannot write the manifest taken/m.yaml", "taken is not a folder"],
    ),
    (
        "export-stack-with-a-line-break",
        None,
        ["--sandbox", "--sandbox-state", "s.json", "export", "--stack", "prod\n"],
        1,
        ["--stack 'prod\\n' is not a stack name"],
    ),
    (
        "plan-out-onto-the-manifest",
        _manifest,
        ["--sandbox", "--sandbox-state", "s.json", "plan", "m.yaml", "--out", "./m.yaml"],
        1,
        ["--out ./m.yaml would overwrite the manifest m.yaml"],
    ),
    (
        "plan-out-into-the-manifest-folder",
        lambda folder: ((folder / "stack").mkdir(), (folder / "stack" / "m.yaml").write_text(MANIFEST)),
        ["--sandbox", "--sandbox-state", "s.json", "plan", "stack", "--out", "stack/plan.yaml"],
        1,
        ["--out stack/plan.yaml would be read as a manifest in stack"],
    ),
    (
        "plan-out-below-a-file",
        lambda folder: (_manifest(folder), _file_where_a_folder_should_be(folder)),
        ["--sandbox", "--sandbox-state", "s.json", "plan", "m.yaml", "--out", "taken/plan.json"],
        1,
        ["cannot write the plan file taken/plan.json", "taken is not a folder"],
    ),
]


@pytest.mark.parametrize(
    "setup, arguments, exit_code, texts", [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_input_gets_a_clear_message(tmp_path, monkeypatch, setup, arguments, exit_code, texts):
    monkeypatch.chdir(tmp_path)
    if setup:
        setup(tmp_path)
    result = CliRunner().invoke(cli, arguments, catch_exceptions=False)
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    for text in texts:
        assert text in result.stderr, result.stderr


def test_plan_out_into_a_missing_folder_creates_it(tmp_path, monkeypatch):
    """Like `export --out`: the folder of the plan file is made, not an error after the plan."""
    monkeypatch.chdir(tmp_path)
    _manifest(tmp_path)
    arguments = ["--sandbox", "--sandbox-state", "s.json", "plan", "m.yaml", "--out", "plans/new/p.json"]
    result = CliRunner().invoke(cli, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plans" / "new" / "p.json").is_file()


def test_a_variable_holding_bytes_that_are_not_utf8_is_named(tmp_path):
    """A non-UTF-8 environment value reaches Python as lone surrogates, which no output can encode."""
    from orbitctl.manifest import ManifestError, load_manifests

    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST.replace("label: One", "label: ${LABEL}"))
    with pytest.raises(ManifestError) as caught:
        load_manifests([manifest], environ={"LABEL": b"caf\xe9".decode("utf-8", "surrogateescape")})
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (6, "numbers.a.label")
    assert "LABEL holds bytes that are not UTF-8" in problem.message


def test_plan_with_a_non_utf8_variable_is_an_error_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text(MANIFEST.replace("label: One", "label: ${LABEL}"))
    monkeypatch.setenv("LABEL", b"caf\xe9".decode("utf-8", "surrogateescape"))
    result = CliRunner().invoke(
        cli, ["--sandbox", "--sandbox-state", "s.json", "plan", "m.yaml"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "LABEL holds bytes that are not UTF-8" in result.stderr


@pytest.mark.parametrize(
    "pin", [b"12\xff".decode("utf-8", "surrogateescape"), "1234\n"], ids=["not-utf8", "line-break"]
)
def test_a_bad_pin_is_refused_without_showing_it(tmp_path, monkeypatch, pin):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CARRIER_PIN", pin)
    arguments = [
        "--sandbox",
        "--sandbox-state",
        "s.json",
        "port",
        "+14155550123",
        "--carrier",
        "Old",
        "--authorization-name",
        "Ann",
        "--pin-env",
        "CARRIER_PIN",
    ]
    result = CliRunner().invoke(cli, arguments, catch_exceptions=False)
    assert result.exit_code == 1
    assert "--pin-env CARRIER_PIN" in result.stderr
    assert "12" not in result.stderr and "1234" not in result.stderr


def test_a_live_value_with_a_lone_surrogate_renders_and_saves(tmp_path):
    """The API's JSON may carry "\\ud800" (a lone surrogate): every rendering escapes it, so the
    output can be written as UTF-8, and a saved plan loads back unchanged."""
    import dataclasses

    from orbitctl.model import Change
    from orbitctl.planfile import load_plan, save_plan
    from orbitctl.render import render
    from tests import sample_plans as sp

    odd = "Support \ud800"
    update = dataclasses.replace(sp.update(), changes=(Change("label", odd, "Support"),), reason=odd)
    release = dataclasses.replace(sp.release(), name="old-line", reason=f"label {odd}")
    plan = sp.plan_of(update, release)
    for output in ("text", "json", "markdown"):
        text = render(plan, output, color=output == "text")
        text.encode("utf-8")
        assert "\\ud800" in text, output
    save_plan(plan, tmp_path / "plan.json")
    assert load_plan(tmp_path / "plan.json") == plan


def test_output_to_a_terminal_that_is_not_utf8_is_escaped_not_a_traceback(tmp_path, monkeypatch):
    """LANG=en_US.ISO-8859-1 (or a cp1252 console): what it cannot show is written as \\uXXXX."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.yaml").write_text(MANIFEST.replace("label: One", "label: Büro → ☎"))
    result = CliRunner(charset="latin-1").invoke(
        cli, ["--sandbox", "--sandbox-state", "s.json", "plan", "m.yaml"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert '"Büro \\u2192 \\u260e"' in result.stdout


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_under_stdout_is_an_error_not_a_traceback(tmp_path):
    import subprocess
    import sys

    (tmp_path / "m.yaml").write_text(MANIFEST)
    with open("/dev/full", "w") as full:
        finished = subprocess.run(
            [sys.executable, "-m", "orbitctl", "validate", "m.yaml"],
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert finished.returncode == 1
    assert finished.stderr.strip() == "Error: No space left on device", finished.stderr


def test_a_fifo_in_a_manifest_folder_is_skipped_not_waited_on(tmp_path):
    """Only files (and links, so a broken one is reported) are read from a folder: a named pipe
    would block the read forever."""
    import threading

    from orbitctl.manifest import load_manifests

    (tmp_path / "m.yaml").write_text(MANIFEST)
    os.mkfifo(tmp_path / "pipe.yaml")
    loaded = []
    reader = threading.Thread(target=lambda: loaded.append(load_manifests([tmp_path], environ={})), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "the loader is waiting on the named pipe"
    assert list(loaded[0].entries) == ["a"]


def test_manifest_from_process_substitution_is_read(tmp_path):
    """`orbitctl validate <(...)` gives a pipe: named directly, it is read."""
    import sys

    from tests.processes import run_process

    finished = run_process(
        ["bash", "-c", f'"{sys.executable}" -m orbitctl validate <(printf "%s" "$M")'],
        env={**os.environ, "M": MANIFEST},
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith("Valid: stack prod, 1 entry")
