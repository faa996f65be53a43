"""`plan --output markdown` (orbitctl/render/markdown.py): a pull-request comment."""

from __future__ import annotations

import re

import pytest

from orbitctl.frozen import freeze
from orbitctl.model import Action, ActionKind, Change
from orbitctl.render.blocks import Block
from orbitctl.render.markdown import MAX_CHARS, escape_inline, fenced, marker, render_plan_markdown
from tests import sample_plans as sp

HOSTILE = "</details><script>alert(1)</script> | ```` `x` <!-- --> **b** [l](javascript:x)"


def outside_code_fences(markdown: str) -> list[str]:
    """The lines of ``markdown`` that are not inside a fenced code block (CommonMark rules for
    backtick fences: closed by a line of at least as many backticks and nothing else)."""
    outside, fence = [], None
    for line in markdown.splitlines():
        if fence is None:
            opening = re.match(r"^(`{3,})[^`]*$", line)
            if opening:
                fence = opening.group(1)
            else:
                outside.append(line)
        elif re.fullmatch(rf"`{{{len(fence)},}}\s*", line):
            fence = None
    assert fence is None, "a code fence is left open"
    return outside


def test_marker_heading_table_and_cost():
    text = render_plan_markdown(sp.every_kind_plan())
    lines = text.splitlines()
    assert lines[0] == "<!-- orbitctl-plan:stack=prod -->"
    assert lines[1] == "### orbitctl plan for stack <code>prod</code>"
    for kind in ActionKind:
        assert f"| {kind.value} | 1 |" in lines
    assert "| unchanged | 5 |" in lines
    assert "**Monthly cost:** \\+1\\.50 USD/month" in lines


def test_table_names_kinds_present_and_always_purchase_update_release():
    lines = render_plan_markdown(sp.plan_of(sp.orphan())).splitlines()
    rows = [line.split("|")[1].strip() for line in lines if line.startswith("| ") and "---" not in line]
    assert rows == ["Action", "purchase", "update", "release", "orphan", "unchanged"]


def test_one_collapsible_section_per_kind_with_a_diff_block():
    text = render_plan_markdown(sp.plan_of(sp.purchase(), sp.purchase("other"), sp.update(), sp.release()))
    summaries = re.findall(r"<details><summary>(.*?)</summary>", text)
    assert summaries == ["2 to purchase", "1 to update in place", "1 to release"]
    assert text.count("</details>") == 3
    assert text.count("```diff") == 3
    assert "\n+   support-main\n" in text and "\n+   other\n" in text
    assert "\n!       label:          \"UK\" → \"UK Support\"\n" in text
    assert "\n-   old-line\n" in text


BLOCKS = [Block((action,)) for action in sp.every_kind_plan().actions] + [
    Block(sp.pool(kind, 3)) for kind in (ActionKind.PURCHASE, ActionKind.UPDATE, ActionKind.RELEASE, ActionKind.REPLACE)
]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: f"{block.kind.value}-{block.count}")
def test_diff_lines_keep_the_text_layout_with_the_symbol_in_the_first_column(block):
    """Only the symbol moves (to column 1, ~ as !): every line's text stays in its column."""
    from orbitctl.render.markdown import _diff_lines
    from orbitctl.render.text import block_lines

    def content(line: str, symbols: str) -> tuple[int, str]:
        rest = line.lstrip(symbols + " ")
        return len(line) - len(rest), rest

    text_lines, diff_lines = block_lines(block, "USD"), _diff_lines(block, "USD")
    assert len(text_lines) == len(diff_lines)
    for text_line, diff_line in zip(text_lines, diff_lines, strict=True):
        assert content(diff_line, "!+-/") == content(text_line, "~+-/"), (text_line, diff_line)
        if text_line.lstrip().startswith(("+ ", "- ", "~ ", "-/+ ")):
            assert diff_line[0] in "+-!", diff_line


def test_releases_carry_a_warning():
    assert "> [!WARNING]" in render_plan_markdown(sp.plan_of(sp.release()))
    assert "> [!WARNING]" in render_plan_markdown(sp.plan_of(sp.replace()))
    assert "[!WARNING]" not in render_plan_markdown(sp.plan_of(sp.update()))


def test_last_line_is_the_summary():
    text = render_plan_markdown(sp.plan_of(sp.update(), sp.update(), delta="-1"))
    assert text.splitlines()[-1] == (
        "**Plan\\: 0 to purchase, 2 to update, 0 to release \\(\\-1\\.00 USD/month\\)\\.**"
    )


def test_secrets_are_masked():
    text = render_plan_markdown(sp.plan_of(sp.update()))
    for secret in ("old-secret", "new-secret", "k-old", "k-new"):
        assert secret not in text
    assert "(sensitive value changed)" in text


def test_hostile_user_strings_stay_inside_code_fences():
    action = Action(
        kind=ActionKind.UPDATE,
        name="desk",
        id="num_1",
        number="+14155550100",
        changes=(
            Change("label", HOSTILE, "```\n</details>"),
            Change("channel_config", freeze({"note": "|a|b|"}), freeze({"note": "`" * 7})),
        ),
    )
    released = Action(kind=ActionKind.RELEASE, name="gone", id="num_2", number="+1", reason=HOSTILE)
    text = render_plan_markdown(sp.plan_of(action, released))
    outside = "\n".join(outside_code_fences(text))
    for fragment in ("<script", "alert", "javascript", "|a|b|", "`x`", "**b**", "`" * 7):
        assert fragment not in outside
    assert outside.count("<details>") == outside.count("</details>") == 2


def test_hostile_stack_is_escaped_in_marker_and_heading():
    plan = sp.plan_of(sp.update(), stack="a-->|<b>`*")
    lines = render_plan_markdown(plan).splitlines()
    assert lines[0] == "<!-- orbitctl-plan:stack=a--%3E%7C%3Cb%3E%60%2A -->"
    assert lines[1] == "### orbitctl plan for stack <code>a\\-\\-&gt;\\|&lt;b&gt;\\`\\*</code>"


def test_the_marker_is_stable_for_a_stack():
    assert marker("prod") == "<!-- orbitctl-plan:stack=prod -->"
    first = render_plan_markdown(sp.plan_of(sp.update())).splitlines()[0]
    second = render_plan_markdown(sp.plan_of(sp.release(), sp.purchase())).splitlines()[0]
    assert first == second == marker("prod")


def test_no_changes():
    text = render_plan_markdown(sp.plan_of(unchanged=7))
    assert text.splitlines()[0] == marker("prod")
    assert "**No changes\\. Your numbers match the manifest\\.**" in text
    assert "7 managed numbers unchanged." in text
    assert "<details>" not in text


def test_a_huge_plan_stays_under_githubs_comment_limit():
    actions = [
        Action(kind=ActionKind.UPDATE, name=f"n-{index}", id=f"num_{index}", number="+14155550100",
               changes=(Change("label", "x" * 90, "y" * 90),))
        for index in range(1500)
    ]
    text = render_plan_markdown(sp.plan_of(*actions))
    assert len(text) <= MAX_CHARS
    shown = len(re.findall(r"^!   n-\d+$", text, re.MULTILINE))
    assert 0 < shown < 1500
    assert f"… and {1500 - shown} more not shown here" in text
    assert "| update | 1500 |" in text
    outside_code_fences(text)  # every fence is closed


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("a|b", "a\\|b"), ("<x>", "&lt;x&gt;"), ("`c`", "\\`c\\`"), ("line\nbreak", "line break"), ("a&b", "a&amp;b")],
)
def test_escape_inline(raw, escaped):
    assert escape_inline(raw) == escaped


def test_fence_is_longer_than_any_backtick_run_inside():
    assert fenced("plain").startswith("```\n")
    assert fenced("a ```` b", "diff").startswith("`````diff\n")
    assert fenced("a ```` b").endswith("\n`````")


# --- pools and the size cap -------------------------------------------------------------------


def test_a_pool_is_one_block_in_its_section():
    text = render_plan_markdown(sp.plan_of(*sp.pool(ActionKind.PURCHASE, 300), *sp.pool(ActionKind.RELEASE, 3, "old")))
    assert re.findall(r"<details><summary>(.*?)</summary>", text) == ["300 to purchase", "3 to release"]
    assert text.count("+   otp-pool  300 to purchase  any US local number, with sms  1.50 USD each") == 1
    assert text.count('+       label:        "OTP"') == 1
    for number in ("+12025550000", "+12025550001", "+12025550002"):
        assert f"\n-       {number}  " in text  # each release named, marked red
    assert len(text) < 3000


def test_detailed_markdown_has_a_block_per_member():
    text = render_plan_markdown(sp.plan_of(*sp.pool(ActionKind.PURCHASE, 4)), detailed=True)
    assert text.count("# otp-pool will be purchased") == 4


def test_a_release_of_ten_thousand_numbers_stays_under_the_cap_and_points_to_the_full_plan():
    members = sp.pool(ActionKind.RELEASE, 10_000)
    text = render_plan_markdown(sp.plan_of(*members))
    assert len(text) <= MAX_CHARS
    listed = len(re.findall(r"^-       \+1202555\d{4}  num_otp\d{4}", text, re.MULTILINE))
    assert 1000 < listed < 10_000
    assert f"… and {10_000 - listed} more not shown here (the comment would be too long); " in text
    assert "run `orbitctl plan --detailed` to see every number" in text
    assert "| release | 10000 |" in text and text.rstrip().endswith("**")
    outside_code_fences(text)


def test_the_cap_holds_when_long_backtick_runs_lengthen_the_fences():
    hostile = "`" * 5000
    actions = [
        Action(kind=ActionKind.UPDATE, name=f"n-{index}", id=f"num_{index}", number="+14155550100",
               changes=(Change("channel_config", freeze({"x": hostile + str(index)}), freeze({"x": "y"})),))
        for index in range(40)
    ]
    text = render_plan_markdown(sp.plan_of(*actions, *sp.pool(ActionKind.RELEASE, 3000)))
    assert len(text) <= MAX_CHARS
    outside_code_fences(text)


def test_the_cap_holds_for_many_inventory_notes():
    from orbitctl.model import Availability, Selection

    notes = tuple(
        Availability(Selection(country="US", area_code=f"{200 + index}"), (f"pool-{index}" * 3,), 9000, 500, 500)
        for index in range(800)
    )
    text = render_plan_markdown(sp.plan_of(*sp.pool(ActionKind.PURCHASE, 2), availability=notes))
    assert len(text) <= MAX_CHARS
    assert "more notes on the inventory" in text
    assert "> [!NOTE]\n> pool\\-0pool\\-0pool\\-0 buys 9000 numbers" in text


def test_the_cap_holds_when_the_hints_before_the_actions_are_too_long():
    renames = tuple((f"old-{index:05d}" + "x" * 20, f"new-{index:05d}" + "y" * 20) for index in range(3000))
    text = render_plan_markdown(sp.plan_of(*sp.pool(ActionKind.RELEASE, 3), suggested_moves=renames))
    assert len(text) <= MAX_CHARS
    assert "The plan is too long for a comment; run `orbitctl plan --detailed` to see every number." in text
    assert "| release | 3 |" in text
