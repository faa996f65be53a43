"""The key masked in server text: whole, in any letter case, or any run of 8+ of its characters."""

from __future__ import annotations

import pytest

from orbitctl.account.redact import redact

KEY = "dv_live_sk_9fQ2xLm7Tz4Rb8Kc"


@pytest.mark.parametrize(
    "echoed",
    [
        KEY,
        KEY.lower(),
        KEY.upper(),
        KEY.swapcase(),
        KEY[-8:],  # the last eight characters
        KEY[11:19],  # eight from the middle
        KEY[-8:].lower(),
        KEY[5:],  # from inside the public prefix on
    ],
)
def test_the_key_or_a_run_of_8_of_it_is_masked_in_any_case(echoed):
    assert redact(f"invalid key '{echoed}' for this account", KEY) == "invalid key '***' for this account"


def test_a_run_of_7_is_left_alone_and_8_is_masked():
    assert redact(f"key ends {KEY[-7:]}.", KEY) == f"key ends {KEY[-7:]}."
    assert redact(f"key ends {KEY[-8:]}.", KEY) == "key ends ***."


def test_each_run_is_masked_on_its_own_and_the_text_between_is_kept():
    text = f"got {KEY[-8:]} and {KEY[11:20].upper()}, expected {KEY}"
    assert redact(text, KEY) == "got *** and ***, expected ***"
    assert redact(f"{KEY}{KEY.lower()}", KEY) == "***"  # one run


def test_the_public_prefix_every_key_shares_is_not_masked():
    text = "expected a key of the form dv_live_sk_... or dv_test_sk_...."
    assert redact(text, KEY) == text
    assert redact(text, "dv_test_sk_orbitctl_suite_0000") == text


def test_a_key_shorter_than_8_is_masked_whole_in_any_case():
    assert redact("short Ab3dE and ab3de and ab3d", "ab3De") == "short *** and *** and ab3d"


def test_positions_hold_next_to_characters_whose_lower_case_is_longer():
    assert redact(f"İİ {KEY} İ", KEY) == "İİ *** İ"


def test_text_without_the_key_is_returned_as_it_is():
    assert redact("nothing to see", KEY) == "nothing to see"
    assert redact("", KEY) == ""
