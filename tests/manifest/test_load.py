"""Good manifests load to the Desired the model describes: defaults, pools, pins, lifecycle,
moved/removed, ``${VAR}``, several files and folders, and a stable fingerprint."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from orbitctl.manifest import ManifestError, Problem, load_manifests
from orbitctl.model import Desired, Lifecycle, Selection, SourceMark

MANIFESTS = Path(__file__).parents[1] / "manifests"
EXAMPLES = Path(__file__).parents[2] / "examples"
ENV = {"HOOK_PATH": "orbit/in"}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def problems_of(paths, environ=None) -> list[Problem]:
    with pytest.raises(ManifestError) as caught:
        load_manifests(paths, environ=environ if environ is not None else {})
    return caught.value.problems


def test_minimal_manifest():
    desired = load_manifests([MANIFESTS / "good-minimal.yaml"], environ={})
    assert isinstance(desired, Desired)
    assert desired.stack == "dev"
    (entry,) = desired.entries.values()
    assert entry.name == "main"
    assert entry.selection == Selection(country="US")
    assert dict(entry.config) == {}
    assert (entry.count, entry.is_pool, entry.lifecycle) == (1, False, Lifecycle())
    assert entry.mark == SourceMark(str(MANIFESTS / "good-minimal.yaml"), 4, 3)
    assert dict(desired.moved) == {} and dict(desired.removed) == {}


def test_full_manifest_merges_defaults_under_entries_and_normalises():
    desired = load_manifests([MANIFESTS / "good-full.yaml"], environ=ENV)
    entries = desired.entries
    assert list(entries) == ["pinned-uk", "pool", "pinned-no-country", "norway"]

    pinned = entries["pinned-uk"]
    assert pinned.selection == Selection(
        country="GB", type="local", number="+442071838750", capabilities=("sms", "voice")
    )
    # the entry's own keys win, even when they clear a default (tags: [], webhook_url: null)
    assert dict(pinned.config) == {
        "label": "London office",
        "status": "inactive",
        "capabilities": ("sms", "voice"),
        "tags": (),
        "webhook_url": None,
        "agent_id": None,
    }
    assert pinned.lifecycle == Lifecycle(prevent_release=True)

    pool = entries["pool"]
    assert (pool.count, pool.is_pool) == (3, True)
    assert pool.selection.type == "toll_free"
    assert pool.selection.max_monthly_cost == Decimal("2.50")
    assert pool.selection.contains == "800"
    assert pool.config["webhook_url"] == "https://hooks.example.com/orbit/in"
    assert pool.config["sms_forwarding"] == ""
    assert pool.config["compliance_profile_id"] is None
    # $${ is a literal ${
    assert pool.config["channel_config"]["whatsapp"]["display_name"] == "Acme ${not-a-variable}"
    # lifecycle is one key: the entry's replaces the default's
    assert pool.lifecycle == Lifecycle(prevent_release=False, ignore_changes=frozenset({"label", "tags"}))

    norway = entries["norway"]
    assert norway.selection.country == "NO"  # YAML 1.2: NO is a string, not false
    assert norway.selection.area_code == "22"
    assert norway.config["forwarding_number"] == "+4722123456"
    assert norway.config["agent_id"] == "agt_oslo-reception"

    assert dict(desired.moved) == {"old-pool": "pool"}
    assert dict(desired.removed) == {"retired": "orphan"}


def test_country_comes_from_the_pin_when_nothing_states_it(tmp_path):
    manifest = write(tmp_path / "m.yaml", 'version: 1\nstack: s\nnumbers:\n  a: {number: "+61291234567"}\n')
    (entry,) = load_manifests([manifest], environ={}).entries.values()
    assert entry.selection.country == "AU"
    assert entry.is_pool is False


def test_count_one_stated_is_a_pool(tmp_path):
    manifest = write(tmp_path / "m.yaml", "version: 1\nstack: s\nnumbers:\n  a: {country: US, count: 1}\n")
    (entry,) = load_manifests([manifest], environ={}).entries.values()
    assert (entry.count, entry.is_pool) == (1, True)


def test_desired_is_frozen():
    desired = load_manifests([MANIFESTS / "good-full.yaml"], environ=ENV)
    config = desired.entries["pool"].config
    with pytest.raises(TypeError):
        config["label"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        config["channel_config"]["whatsapp"]["display_name"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        desired.entries["new"] = None  # type: ignore[index]


def test_example_validates_and_shows_every_feature():
    desired = load_manifests([EXAMPLES / "numbers.yaml"], environ={})
    entries = desired.entries.values()
    assert any(entry.is_pool for entry in entries)
    assert any(entry.selection.number for entry in entries)
    assert any(entry.lifecycle.prevent_release for entry in entries)
    assert any(entry.lifecycle.ignore_changes for entry in entries)
    assert len([entry for entry in entries if entry.config.get("agent_id")]) >= 2
    assert any("whatsapp" in entry.config.get("capabilities", ()) for entry in entries)
    assert desired.moved and desired.removed
    assert "defaults:" in (EXAMPLES / "numbers.yaml").read_text()


# --- fingerprint ------------------------------------------------------------------------------

BASE = """version: 1
stack: prod
defaults: {country: US}
numbers:
  a:
    label: A
    tags: [x, y]
  b: {count: 2}
moved: {c: a}
"""


def test_fingerprint_ignores_path_key_order_comments_and_set_order(tmp_path):
    first = write(tmp_path / "one.yaml", BASE)
    reordered = write(
        tmp_path / "elsewhere.yml",
        "# the same, written differently\nstack: prod\nversion: 1\nmoved: {c: a}\nnumbers:\n"
        "  b: {count: 2}   # pool\n  a: {tags: [y, x], label: A}\ndefaults:\n  country: US\n",
    )
    assert load_manifests([first], environ={}).fingerprint == load_manifests([reordered], environ={}).fingerprint


@pytest.mark.parametrize(
    "change",
    [("label: A", "label: B"), ("count: 2", "count: 3"), ("{c: a}", "{d: a}"), ("stack: prod", "stack: qa")],
)
def test_fingerprint_changes_with_content(tmp_path, change):
    before = load_manifests([write(tmp_path / "a.yaml", BASE)], environ={}).fingerprint
    after = load_manifests([write(tmp_path / "b.yaml", BASE.replace(*change))], environ={}).fingerprint
    assert before != after


# --- several files and folders ----------------------------------------------------------------


def test_folder_loads_every_yaml_and_yml_file_sorted_and_merges_defaults():
    desired = load_manifests([MANIFESTS / "good-split"], environ={})
    assert desired.stack == "split"
    assert list(desired.entries) == ["support", "sales"]
    support, sales = desired.entries.values()
    assert support.selection == Selection(country="GB", type="mobile")
    assert dict(support.config) == {"label": "Acme UK"}
    assert sales.selection.country == "US" and sales.config["label"] == "Sales"
    assert dict(desired.moved) == {"helpdesk": "support"}
    assert support.mark.file == str(MANIFESTS / "good-split" / "20-support.yml")


def test_split_files_fingerprint_like_one_file(tmp_path):
    together = write(tmp_path / "all.yaml", "version: 1\nstack: s\nnumbers:\n  a: {country: US}\n  b: {country: GB}\n")
    (tmp_path / "d").mkdir()
    write(tmp_path / "d" / "1.yaml", "version: 1\nstack: s\nnumbers:\n  a: {country: US}\n")
    write(tmp_path / "d" / "2.yaml", "version: 1\nstack: s\nnumbers:\n  b: {country: GB}\n")
    folder = load_manifests([tmp_path / "d"], environ={})
    assert load_manifests([together], environ={}).fingerprint == folder.fingerprint


def test_the_same_file_given_twice_is_loaded_once():
    path = MANIFESTS / "good-minimal.yaml"
    assert list(load_manifests([path, str(path)], environ={}).entries) == ["main"]


def test_a_name_in_two_files_is_reported_at_the_second_naming_the_first(tmp_path):
    one = write(tmp_path / "one.yaml", "version: 1\nstack: s\nnumbers:\n  a: {country: US}\n")
    two = write(tmp_path / "two.yaml", "version: 1\nstack: s\nnumbers:\n  b: {country: US}\n  a: {country: GB}\n")
    (problem,) = problems_of([one, two])
    assert (problem.file, problem.line, problem.path) == (str(two), 5, "numbers.a")
    assert f"{one}:4" in problem.message


def test_a_different_stack_is_reported_naming_both_places(tmp_path):
    one = write(tmp_path / "one.yaml", "version: 1\nstack: prod\nnumbers: {}\n")
    two = write(tmp_path / "two.yaml", "version: 1\nstack: staging\nnumbers: {}\n")
    (problem,) = problems_of([one, two])
    assert (problem.file, problem.line, problem.path) == (str(two), 2, "stack")
    assert "'staging'" in problem.message and f"'prod' at {one}:2" in problem.message


def test_a_default_in_two_files_is_reported(tmp_path):
    one = write(tmp_path / "one.yaml", "version: 1\nstack: s\ndefaults: {country: US}\n")
    two = write(tmp_path / "two.yaml", "version: 1\nstack: s\ndefaults:\n  type: mobile\n  country: US\n")
    (problem,) = problems_of([one, two])
    assert (problem.file, problem.line, problem.path) == (str(two), 5, "defaults.country")


def test_a_pin_in_two_files_is_reported(tmp_path):
    one = write(tmp_path / "one.yaml", 'version: 1\nstack: s\nnumbers:\n  a: {number: "+14155550100"}\n')
    two = write(tmp_path / "two.yaml", 'version: 1\nstack: s\nnumbers:\n  b: {number: "+14155550100"}\n')
    (problem,) = problems_of([one, two])
    assert (problem.file, problem.path) == (str(two), "numbers.b.number")
    assert f"'a' at {one}:4" in problem.message


def test_moved_may_name_an_entry_of_another_file(tmp_path):
    write(tmp_path / "a.yaml", "version: 1\nstack: s\nnumbers:\n  new: {country: US}\n")
    write(tmp_path / "b.yaml", "version: 1\nstack: s\nmoved:\n  old: new\n")
    assert dict(load_manifests([tmp_path], environ={}).moved) == {"old": "new"}


def test_every_problem_of_every_file_in_one_run(tmp_path):
    one = write(tmp_path / "one.yaml", "version: 1\nstack: s\nnumbers:\n  a: {country: XX, status: on}\n")
    two = write(tmp_path / "two.yaml", "version: 3\nstack: s\n")
    found = [(p.file, p.path) for p in problems_of([one, two])]
    assert found == [(str(one), "numbers.a.country"), (str(one), "numbers.a.status"), (str(two), "version")]


# --- whole-file problems ----------------------------------------------------------------------


def test_folder_without_manifests(tmp_path):
    write(tmp_path / "notes.txt", "version: 1\n")
    (problem,) = problems_of([tmp_path])
    assert (problem.file, problem.line, problem.path) == (str(tmp_path), 1, "")
    assert "holds no manifests" in problem.message


def test_missing_and_unreadable_files(tmp_path):
    missing = tmp_path / "missing.yaml"
    not_a_file = write(tmp_path / "plain", "x") / "m.yaml"
    problems = problems_of([missing, not_a_file])
    assert [(p.file, p.line, p.path) for p in problems] == [(str(missing), 1, ""), (str(not_a_file), 1, "")]
    assert all("cannot read the file" in p.message for p in problems)


def test_no_paths_at_all():
    (problem,) = problems_of([])
    assert "no manifest given" in problem.message


def test_problem_and_error_text():
    problem = Problem("m.yaml", 7, 5, "numbers.a.type", "'x' is not allowed (allowed: local)")
    assert str(problem) == "m.yaml:7:5: numbers.a.type: 'x' is not allowed (allowed: local)"
    assert str(Problem("m.yaml", 1, 1, "", "empty (allowed: a mapping)")) == "m.yaml:1:1: empty (allowed: a mapping)"
    error = ManifestError([problem, problem, Problem("m.yaml", 1, 1, "", "e (allowed: x)")])
    assert str(error).splitlines() == [str(problem), "m.yaml:1:1: e (allowed: x)"]


@pytest.mark.parametrize("valid", [True, False])
@pytest.mark.parametrize("collecting", [True, False])
def test_the_cycle_collector_is_paused_while_loading_and_left_as_it_was(tmp_path, monkeypatch, valid, collecting):
    import gc

    from orbitctl.manifest import loader

    during = []
    check_meaning = loader.check_meaning
    monkeypatch.setattr(loader, "check_meaning", lambda merged: during.append(gc.isenabled()) or check_meaning(merged))
    country = "US" if valid else "ZZ"
    manifest = write(tmp_path / "m.yaml", f"version: 1\nstack: s\nnumbers:\n  a: {{country: {country}}}\n")
    (gc.enable if collecting else gc.disable)()
    try:
        if valid:
            load_manifests([manifest], environ={})
        else:
            problems_of([manifest])
        assert (during, gc.isenabled()) == ([False], collecting)
    finally:
        gc.enable()
