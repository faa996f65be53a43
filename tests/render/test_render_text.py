"""The Terraform-like text plan (orbitctl/render/text.py) and render.should_color / render.render."""

from __future__ import annotations

import dataclasses
import io
import re
from decimal import Decimal

import pytest

from orbitctl.frozen import freeze
from orbitctl.model import Action, ActionKind, Availability, Change, Selection
from orbitctl.render import render, should_color
from orbitctl.render.text import render_plan
from tests import sample_plans as sp

ANSI = re.compile(r"\x1b\[[0-9;]*m")

SYMBOL_LINES = {
    ActionKind.PURCHASE: "  + support-main",
    ActionKind.PORT: "  + legacy-fax",
    ActionKind.ADOPT: "  + legacy-main",
    ActionKind.UPDATE: "  ~ support-uk",
    ActionKind.REPLACE: "-/+ ny-office",
    ActionKind.RELEASE: "  - old-line",
    ActionKind.ORPHAN: "  ~ kept-line",
    ActionKind.MOVE: "  ~ support-new",
}

HEADLINES = {
    ActionKind.PURCHASE: "  # support-main will be purchased",
    ActionKind.PORT: "  # legacy-fax will be ported in from another carrier (adopted once it arrives)",
    ActionKind.ADOPT: "  # legacy-main will be adopted",
    ActionKind.UPDATE: "  # support-uk will be updated in place",
    ActionKind.REPLACE: "  # ny-office must be replaced",
    ActionKind.RELEASE: "  # old-line will be released",
    ActionKind.ORPHAN: "  # kept-line will be orphaned (ownership tag removed, number kept)",
    ActionKind.MOVE: "  # support-old has moved to support-new",
}


@pytest.mark.parametrize("kind", list(ActionKind))
def test_every_kind_has_its_headline_and_symbol(kind):
    lines = render_plan(sp.plan_of(sp.ALL_KINDS[kind]()), color=False).splitlines()
    assert SYMBOL_LINES[kind] in lines
    assert any(line.startswith(HEADLINES[kind]) for line in lines)
    assert lines.index(SYMBOL_LINES[kind]) == 1 + next(
        index for index, line in enumerate(lines) if line.startswith(HEADLINES[kind])
    )


def test_update_shows_changed_keys_only_with_before_and_after():
    action = Action(
        kind=ActionKind.UPDATE,
        name="desk",
        id="num_1",
        number="+14155550123",
        changes=(Change("label", "Old", "New"), Change("status", "active", "inactive")),
        config=freeze({"label": "New", "status": "inactive", "forwarding_number": "+14155550999"}),
    )
    lines = render_plan(sp.plan_of(action), color=False).splitlines()
    assert '      ~ label:  "Old" → "New"' in lines
    assert '      ~ status: "active" → "inactive"' in lines
    assert "        id:     num_1" in lines
    assert "        number: +14155550123" in lines
    assert "forwarding_number" not in "\n".join(lines)


def test_purchase_lists_its_configuration_as_additions_and_what_it_buys():
    text = render_plan(sp.plan_of(sp.purchase()), color=False)
    assert "(known after purchase)" in text
    assert "any US local number, area code 415, with sms+voice, at most 2.00 USD/month" in text
    assert "monthly cost:      1.50 USD" in text
    assert '      + label:             "Main Support Line"' in text.splitlines()


def test_pinned_purchase_shows_the_pin():
    selection = Selection(country="US", number="+14155550100", contains="5550")
    text = render_plan(sp.plan_of(sp.purchase(number="+14155550100", selection=selection)), color=False)
    assert "        number:            +14155550100" in text.splitlines()
    assert "        selection:         exactly +14155550100 (US local), containing 5550" in text.splitlines()


def test_a_previous_name_is_shown_for_kinds_other_than_move():
    action = dataclasses.replace(sp.release(), previous_name="older-name")
    assert "        previous name: older-name" in render_plan(sp.plan_of(action), color=False).splitlines()
    assert "previous name" not in render_plan(sp.plan_of(sp.move()), color=False)


def test_replace_and_release_carry_a_reason_and_their_cost():
    text = render_plan(sp.plan_of(sp.replace(), sp.release()), color=False)
    assert 'reason:       area_code is "646" but +12125550100 is in area code 212' in text
    assert "monthly cost: 1.25 USD (was 1.00 USD)" in text
    assert "reason:       entry 'old-line' is no longer in the manifest" in text
    assert "monthly cost: 0.75 USD (no longer paid)" in text


def test_secrets_are_masked_and_a_masked_change_stays_visible():
    text = render_plan(sp.plan_of(sp.update()), color=False)
    for secret in ("old-secret", "new-secret", "k-old", "k-new"):
        assert secret not in text
    assert (
        '~ webhook_url:    "https://hooks.example.com/in?(sensitive)" → '
        '"https://hooks.example.com/in?(sensitive)" (sensitive value changed)'
    ) in text
    assert "~ sms.api_key: (sensitive) → (sensitive) (sensitive value changed)" in text
    assert "~ sms.rate: 10 → 20" in text
    assert '- legacy: "x"' in text
    assert '+ voice: {"record": true}' in text


def test_purchase_masks_secrets_in_its_configuration():
    action = sp.purchase(config=freeze({"channel_config": {"auth_token": "tok-123"}}))
    text = render_plan(sp.plan_of(action), color=False)
    assert "tok-123" not in text
    assert '+ channel_config: {"auth_token": (sensitive)}' in text


@pytest.mark.parametrize(
    ("actions", "delta", "last_line"),
    [
        (
            (sp.purchase(), sp.update(), sp.update()),
            "1.50",
            "Plan: 1 to purchase, 2 to update, 0 to release (+1.50 USD/month).",
        ),
        ((sp.release(),), "-0.75", "Plan: 0 to purchase, 0 to update, 1 to release (-0.75 USD/month)."),
        ((sp.orphan(),), "0", "Plan: 0 to purchase, 0 to update, 0 to release, 1 to orphan (+0.00 USD/month)."),
        (
            (sp.move(), sp.adopt(), sp.replace(), sp.replace()),
            "0.5",
            "Plan: 0 to purchase, 1 to adopt, 0 to update, 2 to replace, 0 to release, 1 to move (+0.50 USD/month).",
        ),
        (
            tuple(make() for make in sp.ALL_KINDS.values()),
            "1.50",
            "Plan: 1 to purchase, 1 to port, 1 to adopt, 1 to update, 1 to replace, 1 to release, 1 to orphan, "
            "1 to move"
            " (+1.50 USD/month).",
        ),
    ],
)
def test_last_line_is_the_summary_naming_kinds_present(actions, delta, last_line):
    assert render_plan(sp.plan_of(*actions, delta=delta), color=False).splitlines()[-1] == last_line


def test_summary_uses_the_plans_currency():
    plan = sp.plan_of(sp.purchase(), delta="2", currency="EUR")
    assert render_plan(plan, color=False).endswith("(+2.00 EUR/month).")


def test_unchanged_and_left_alone_numbers_are_counted_not_listed():
    text = render_plan(sp.plan_of(sp.update(), unchanged=5, unmanaged=1, foreign=2), color=False)
    assert "5 numbers unchanged. On the account: 1 unmanaged number, 2 numbers of other stacks." in text
    alone = render_plan(sp.plan_of(sp.update(), unchanged=1, unmanaged=0, foreign=0), color=False)
    assert "1 number unchanged.\n" in alone and "On the account" not in alone


def test_no_changes():
    text = render_plan(sp.plan_of(unchanged=4, unmanaged=0, foreign=0), color=False)
    assert text.splitlines()[0] == "No changes. Your numbers match the manifest."
    assert "4 numbers unchanged." in text
    assert "Plan:" not in text
    assert render_plan(sp.plan_of(unchanged=0, unmanaged=0, foreign=0), color=False) == (
        "No changes. Your numbers match the manifest."
    )


def test_colour_only_when_asked_and_same_text_without_it():
    plan = sp.every_kind_plan()
    plain = render_plan(plan, color=False)
    coloured = render_plan(plan, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[32m" in coloured and "\x1b[31m" in coloured and "\x1b[33m" in coloured
    assert ANSI.sub("", coloured) == plain


def test_hostile_strings_cannot_inject_terminal_escapes():
    action = Action(
        kind=ActionKind.RELEASE,
        name="x\x1b[2J",
        id="num_\x1b]0;pwned\x07",
        number="+1",
        reason="gone\nPlan: 0 to purchase, 0 to update, 0 to release (+0.00 USD/month).",
        changes=(Change("label", "\x1b[31mred", "ok"),),
    )
    text = render_plan(sp.plan_of(action), color=False)
    assert "\x1b" not in text and "\x07" not in text
    assert text.splitlines()[-1] == "Plan: 0 to purchase, 0 to update, 1 to release (+0.00 USD/month)."


class _Stream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),
        (True, {"TERM": "dumb"}, False),
        (False, {"FORCE_COLOR": "1"}, True),
        (False, {"FORCE_COLOR": "0"}, True),  # https://force-color.org: any non-empty value
        (False, {"FORCE_COLOR": ""}, False),
        (False, {"FORCE_COLOR": "1", "TERM": "dumb"}, True),
        (True, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
    ],
)
def test_should_color_honours_terminal_no_color_and_force_color(monkeypatch, tty, env, expected):
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert should_color(_Stream(tty)) is expected


@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1"}, {"FORCE_COLOR": "1"}, {"TERM": "dumb"}])
@pytest.mark.parametrize("tty", [True, False])
def test_color_always_and_never_win_over_the_environment_and_the_stream(monkeypatch, env, tty):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert should_color(_Stream(tty), "always") is True
    assert should_color(_Stream(tty), "never") is False


def test_should_color_is_false_for_streams_without_isatty():
    assert should_color(None) is False
    assert should_color(object()) is False


def test_render_picks_the_format_and_ends_with_a_newline(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    plan = sp.plan_of(sp.update())
    assert render(plan, "text", stream=_Stream(False)) == render_plan(plan, color=False) + "\n"
    assert "\x1b[" in render(plan, "text", stream=_Stream(True))
    assert "\x1b[" not in render(plan, "text", stream=_Stream(True), color=False)
    assert render(plan, "json").startswith("{") and render(plan, "json").endswith("}\n")
    assert render(plan, "markdown").startswith("<!-- orbitctl-plan:stack=prod -->")
    with pytest.raises(ValueError, match="unknown output format 'yaml'"):
        render(plan, "yaml")


def test_decimal_costs_render_with_cents():
    plan = sp.plan_of(sp.purchase(monthly_cost=Decimal("3")), delta="3")
    text = render_plan(plan, color=False)
    assert "monthly cost:      3.00 USD" in text
    assert text.endswith("(+3.00 USD/month).")


def test_a_move_without_a_previous_name_still_reads():
    action = dataclasses.replace(sp.move(), previous_name=None)
    assert "  # support-new has moved (number kept)" in render_plan(sp.plan_of(action), color=False).splitlines()


# --- pools: one block per pool and kind of action ---------------------------------------------


def test_a_pools_purchases_are_one_block_with_the_configuration_once():
    lines = render_plan(sp.plan_of(*sp.pool(ActionKind.PURCHASE, 300)), color=False).splitlines()
    assert lines.count("  # otp-pool: 300 numbers will be purchased") == 1
    assert "  + otp-pool  300 to purchase  any US local number, with sms  1.50 USD each  (+450.00 USD/month)" in lines
    assert lines.count('      + label:        "OTP"') == 1
    assert "known after purchase" not in "\n".join(lines)
    assert len(lines) < 20


def test_members_of_different_prices_show_the_range_and_the_total():
    members = sp.pool(ActionKind.PURCHASE, 3)
    members = (*members[:2], dataclasses.replace(members[2], monthly_cost=Decimal("15.00")))
    text = render_plan(sp.plan_of(*members), color=False)
    assert "3 to purchase  any US local number, with sms  1.50 to 15.00 USD each  (+18.00 USD/month)" in text


def test_a_pools_updates_state_the_change_once_with_the_count():
    lines = render_plan(sp.plan_of(*sp.pool(ActionKind.UPDATE, 40)), color=False).splitlines()
    assert "  # otp-pool: 40 numbers will be updated in place" in lines
    assert "  ~ otp-pool  40 to update" in lines
    assert lines.count('      ~ label: "OTP" → "OTP v2"') == 1
    assert "+1202555" not in "\n".join(lines)  # the members are counted, not listed


def test_a_pools_releases_name_every_number():
    members = sp.pool(ActionKind.RELEASE, 25)
    lines = render_plan(sp.plan_of(*members), color=False).splitlines()
    assert "  # otp-pool: 25 numbers will be released (this cannot be undone)" in lines
    assert "  - otp-pool  25 to release  (-37.50 USD/month)" in lines
    for member in members:
        assert f"      - {member.number}  {member.id}  1.50 USD/month" in lines
    assert lines.count("        reason: pool 'otp-pool' has more members than count 2") == 1


def test_a_pools_replaces_name_every_old_number_with_its_reason():
    members = sp.pool(ActionKind.REPLACE, 2)
    text = render_plan(sp.plan_of(*members), color=False)
    assert "-/+ otp-pool  2 to replace  new: any US local number, area code 646, with sms  1.25 USD each" in text
    for member in members:
        assert f"- {member.number}  {member.id}  1.50 USD/month  {member.reason}" in text


def test_members_that_differ_get_blocks_of_their_own():
    first, second = sp.pool(ActionKind.UPDATE, 2)
    second = dataclasses.replace(second, changes=(Change("label", "Old", "OTP v2"),))
    lines = render_plan(sp.plan_of(first, *sp.pool(ActionKind.UPDATE, 2)[1:], second), color=False).splitlines()
    assert "  # otp-pool: 2 numbers will be updated in place" in lines
    assert "  # otp-pool will be updated in place" in lines
    assert '      ~ label:  "Old" → "OTP v2"' in lines


def test_detailed_shows_every_member_in_a_block_of_its_own():
    plan = sp.plan_of(*sp.pool(ActionKind.PURCHASE, 5), *sp.pool(ActionKind.UPDATE, 3))
    lines = render_plan(plan, color=False, detailed=True).splitlines()
    assert lines.count("  # otp-pool will be purchased") == 5
    assert lines.count("  # otp-pool will be updated in place") == 3
    assert lines.count("        number: +12025550001") == 1
    assert render(plan, "text", color=False, detailed=True) == render_plan(plan, color=False, detailed=True) + "\n"


def test_one_member_renders_as_before():
    [member] = sp.pool(ActionKind.PURCHASE, 1)
    lines = render_plan(sp.plan_of(member), color=False).splitlines()
    assert "  # otp-pool will be purchased" in lines and "  + otp-pool" in lines


def test_the_plan_notes_a_selection_whose_inventory_it_could_not_count():
    note = Availability(Selection(country="US", capabilities=("sms",)), ("otp-pool",), 2000, 600, 500)
    text = render_plan(sp.plan_of(*sp.pool(ActionKind.PURCHASE, 3), availability=(note,)), color=False)
    assert (
        "Note: otp-pool buys 2000 numbers (any US local number, with sms); at least 600 are available now. "
        "A search of the inventory shows at most 500 numbers at a time, so apply searches again as it buys"
    ) in text
    assert text.index("Note:") < text.index("Plan:")
