"""What a plan says beyond its actions, in text, markdown and JSON: the rename hint
(``suggested_moves``) and the targeting warning (``targets``)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from orbitctl.render import render
from tests import sample_plans as sp

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
RENAMED = sp.plan_of(sp.purchase("new-line"), sp.release(), suggested_moves=(("old-line", "new-line"),))


def test_text_shows_the_moved_lines_to_paste_before_the_summary():
    text = render(RENAMED, "text", color=False)
    lines = text.splitlines()
    hint = next(i for i, line in enumerate(lines) if line.startswith("Hint:"))
    assert "old-line will be released and new-line purchased" in lines[hint]
    assert "If new-line is old-line renamed, keep the numbers instead" in lines[hint]
    assert lines[hint + 1 : hint + 4] == ["", "  moved:", "    old-line: new-line"]
    assert lines[-1].startswith("Plan: 1 to purchase")


def test_several_hints_share_one_moved_block():
    plan = sp.plan_of(sp.release(), suggested_moves=(("a", "b"), ("c", "d")))
    text = render(plan, "text", color=False)
    assert "Hint: entries will be released while entries their numbers already match" in text
    assert "  moved:\n    a: b\n    c: d\n" in text


def test_markdown_shows_a_tip_with_yaml():
    markdown = render(RENAMED, "markdown")
    assert "> [!TIP]\n> old\\-line will be released and new\\-line purchased" in markdown
    assert "> ```yaml\n> moved:\n>   old-line: new-line\n> ```" in markdown


def test_json_carries_the_moved_mapping_and_stays_valid():
    document = json.loads(render(RENAMED, "json"))
    assert document["suggested_moved"] == {"old-line": "new-line"}
    jsonschema.validate(document, SCHEMA)
    assert "suggested_moved" not in json.loads(render(sp.plan_of(sp.release()), "json"))


def test_no_hint_without_suggested_moves():
    plain = sp.plan_of(sp.purchase("new-line"), sp.release())
    assert "Hint:" not in render(plain, "text", color=False)
    assert "[!TIP]" not in render(plain, "markdown")


def test_a_targeted_plan_says_so_first_even_with_no_changes():
    plan = sp.plan_of(targets=("a", "b"))
    text = render(plan, "text", color=False).splitlines()
    assert text[0] == ("Targeting is in effect: this plan covers only --target a, b, so it may not show every "
                       "change the manifests ask for.")
    assert text[2].startswith("No changes.")
    markdown = render(plan, "markdown")
    assert "> [!WARNING]\n> Targeting is in effect" in markdown and "not for routine use" in markdown
    document = json.loads(render(plan, "json"))
    assert document["targets"] == ["a", "b"]
    jsonschema.validate(document, SCHEMA)
