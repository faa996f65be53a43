"""`plan DIR... --output markdown` (orbitctl/render/stacks.py): one comment for several stacks,
under GitHub's comment limit whatever the plans' sizes."""

from __future__ import annotations

import re

from orbitctl.model import ActionKind, StackPlan
from orbitctl.render.markdown import MAX_CHARS, marker
from orbitctl.render.stacks import render_stacks_markdown
from tests import sample_plans as sp
from tests.render.test_render_markdown import outside_code_fences


def stack(name: str, *actions, error: str | None = None) -> StackPlan:
    plan = None if error is not None else sp.plan_of(*actions, stack=name)
    return StackPlan(name=name, paths=(f"stacks/{name}",), plan=plan, error=error)


def listed_releases(text: str) -> int:
    return len(re.findall(r"^-       \+1202555\d{4}  num_otp\d{4}", text, re.MULTILINE))


def test_small_plans_of_several_stacks_are_shown_whole():
    text = render_stacks_markdown([stack("a", *sp.pool(ActionKind.RELEASE, 3)),
                                   stack("b", *sp.pool(ActionKind.RELEASE, 2))])
    assert listed_releases(text) == 5
    assert "more not shown here" not in text
    assert text.index(marker("a")) < text.index(marker("b"))


def test_two_stacks_each_releasing_many_numbers_share_the_cap_and_both_are_counted():
    text = render_stacks_markdown([stack("a", *sp.pool(ActionKind.RELEASE, 4000)),
                                   stack("b", *sp.pool(ActionKind.RELEASE, 4000))])
    assert len(text) <= MAX_CHARS
    sections = text.split(marker("b"))
    assert len(sections) == 2
    for section in sections:  # each stack keeps its counts and says how many it did not list
        assert "| release | 4000 |" in section
        assert 100 < listed_releases(section) < 4000
        assert "more not shown here" in section
    assert text.rstrip().endswith("**") and "Stacks\\: 2 planned, 2 with changes" in text
    outside_code_fences(text)


def test_a_small_stack_beside_a_huge_one_is_shown_whole_and_the_huge_one_gets_the_rest():
    text = render_stacks_markdown([stack("big", *sp.pool(ActionKind.RELEASE, 10_000)),
                                   stack("small", *sp.pool(ActionKind.RELEASE, 3))])
    assert len(text) <= MAX_CHARS
    big, small = text.split(marker("small"))
    assert listed_releases(small) == 3
    assert listed_releases(big) > 1000  # more than half the comment's room, not an equal share


def test_a_failed_stacks_long_error_is_cut_to_its_share_and_the_others_still_shown():
    error = "\n".join(f"numbers.yaml:{line}:1: numbers.e{line}: unknown key 'labl'" for line in range(5000))
    text = render_stacks_markdown([stack("broken", error=error), stack("ok", *sp.pool(ActionKind.RELEASE, 3))])
    assert len(text) <= MAX_CHARS
    assert "This stack could not be planned" in text and "cut to fit the comment" in text
    assert "numbers.yaml:0:1:" in text
    assert listed_releases(text.split(marker("ok"))[1]) == 3
    outside_code_fences(text)


def test_too_many_stacks_for_a_section_each_get_a_line_each_as_many_as_fit():
    many = [stack(f"team-{index:04d}-" + "x" * 60, *sp.pool(ActionKind.RELEASE, 2)) for index in range(1500)]
    text = render_stacks_markdown(many)
    assert len(text) <= MAX_CHARS
    assert "The plans of 1500 stacks are too long for one comment" in text
    shown = len(re.findall(r"^- <code>team\\-\d{4}", text, re.MULTILINE))
    assert 100 < shown < 1500
    assert f"- … and {1500 - shown} more stacks" in text
    assert "Stacks\\: 1500 planned, 1500 with changes" in text
