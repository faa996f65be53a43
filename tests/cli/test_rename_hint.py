"""An entry renamed without `moved:`: the plan suggests it; with it, the number is kept."""

from __future__ import annotations

import json

from tests.helpers import changing_requests, owned, purchases, run, write_manifest

ENTRY = "    country: US\n    area_code: '415'\n    label: Main Support Line\n"


def test_a_rename_without_moved_is_hinted_and_moved_keeps_the_number(checkout, sandbox_server, orbit_env,
                                                                     monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    server = sandbox_server()
    orbit_env(server.url)
    manifest = write_manifest(checkout / "numbers.yaml", "  support-main:\n" + ENTRY)
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    [number] = owned(server, "support-main")

    write_manifest(manifest, "  support-primary:\n" + ENTRY)
    planned = run("plan", str(manifest))
    assert planned.exit_code == 0, planned.stderr
    assert "Hint: support-main will be released and support-primary purchased" in planned.stdout
    assert "  moved:\n    support-main: support-primary\n" in planned.stdout
    as_json = json.loads(run("plan", str(manifest), "-o", "json").stdout)
    assert as_json["suggested_moved"] == {"support-main": "support-primary"}

    write_manifest(manifest, "  support-primary:\n" + ENTRY, extra="moved:\n  support-main: support-primary\n")
    bought, mark = len(purchases(server)), len(changing_requests(server))
    moved = run("plan", str(manifest))
    assert "Hint:" not in moved.stdout
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    assert [n["id"] for n in owned(server, "support-primary")] == [number["id"]]
    assert len(purchases(server)) == bought
    assert [e["method"] for e in changing_requests(server, mark)] == ["PUT"]


def test_a_changed_label_with_the_new_name_gives_no_hint(checkout, sandbox_server, orbit_env):
    orbit_env(sandbox_server().url)
    manifest = write_manifest(checkout / "numbers.yaml", "  support-main:\n" + ENTRY)
    assert run("apply", str(manifest), "--auto-approve").exit_code == 0
    write_manifest(manifest, "  support-primary:\n" + ENTRY.replace("Main Support Line", "Primary"))
    planned = run("plan", str(manifest))
    assert planned.exit_code == 0
    assert "Hint:" not in planned.stdout and "moved:" not in planned.stdout
