"""The API key appears in no output and no file: every command run with the key in the
environment, as it is for a user, successes and failures alike."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import TEST_API_KEY
from tests.helpers import run, write_manifest

HOOK = "https://hooks.example.com/orbit/in?token=${HOOK_TOKEN}"


def _forms(key: str) -> tuple[str, ...]:
    """The key as a leak could show it: verbatim, in another case, its last 8 characters."""
    return key, key.lower(), key.upper(), key[-8:]


def _files(root: Path, *, besides: Path) -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8", errors="replace")
        for path in root.rglob("*")
        if path.is_file() and path != besides
    }


def test_the_key_is_in_no_output_and_no_file(checkout, sandbox_server, orbit_env, monkeypatch):
    server = sandbox_server()
    orbit_env(server.url)
    monkeypatch.setenv("HOOK_TOKEN", "hook-t0ken")
    monkeypatch.setenv("KEY_COPY", TEST_API_KEY)
    numbers = f"  a:\n    country: US\n    label: A\n    webhook_url: {HOOK}\n  b:\n    country: US\n    count: 2\n"
    manifest = write_manifest(checkout / "m.yaml", numbers)
    results = [
        run("validate", str(manifest)),
        run("plan", str(manifest)),
        run("plan", str(manifest), "--output", "json"),
        run("plan", str(manifest), "--output", "markdown"),
        run("plan", str(manifest), "--out", "plan.json"),
        run("apply", "plan.json", "--auto-approve"),
        run("apply", str(manifest), "--auto-approve"),
        run("export", "--stack", "prod"),
        run("export", "--stack", "prod", "--out", "exported.yaml"),
    ]
    assert "PROD_A_WEBHOOK_URL" in results[-1].stderr  # the webhook's token is a variable to set
    assert "hook-t0ken" not in Path("exported.yaml").read_text()
    monkeypatch.setenv("PROD_A_WEBHOOK_URL", HOOK.replace("${HOOK_TOKEN}", "hook-t0ken"))
    results += [run("validate", "exported.yaml"), run("plan", "exported.yaml", "--detailed-exitcode")]
    assert [result.exit_code for result in results] == [0] * len(results), [r.stderr for r in results]

    refused = []
    for label in ("k=${ORBIT_API_KEY}", "k=${KEY_COPY}"):
        write_manifest(manifest, f"  a:\n    country: US\n    label: '{label}'\n")
        refused += [run("validate", str(manifest)), run("plan", str(manifest)), run("apply", str(manifest))]
    monkeypatch.setenv("ORBIT_API_KEY", TEST_API_KEY.replace("dv_test_sk_", "dv_nope_sk_"))  # refused by Orbit
    refused.append(run("plan", str(manifest)))
    assert all(result.exit_code == 1 for result in refused), [r.stderr for r in refused]

    outputs = {f"{result.stdout}\n{result.stderr}" for result in results + refused}
    files = _files(checkout, besides=server.state_path)
    assert Path("plan.json").resolve() in {path.resolve() for path in files}
    for form in _forms(TEST_API_KEY) + _forms(TEST_API_KEY.replace("dv_test_sk_", "dv_nope_sk_")):
        assert not [text for text in outputs if form in text], form
        assert not [path for path, text in files.items() if form in text], form
