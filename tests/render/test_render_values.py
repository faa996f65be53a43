"""Masking and value formatting shared by the renderings (orbitctl/values.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orbitctl.frozen import freeze
from orbitctl.model import Change
from orbitctl.values import (
    SENSITIVE,
    change_leaves,
    format_delta,
    format_money,
    format_value,
    is_secret_key,
    mask,
    mask_url,
    masked_change,
    printable,
)


@pytest.mark.parametrize(
    "key",
    ["secret", "api_key", "apiKey", "X-Api-Token", "auth", "Authorization", "password", "webhooksecret",
     "signing_secret", "private_key", "accessToken", "basic-auth", "credentials", "pin"],
)
def test_keys_naming_secrets_are_secret(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["label", "rate", "region", "monkey", "keyboard", "author_name", "voice", 3])
def test_ordinary_keys_are_not_secret(key):
    assert not is_secret_key(key)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://hooks.example.com/in?token=abc", "https://hooks.example.com/in?(sensitive)"),
        ("https://user:pw@hooks.example.com/in", "https://(sensitive)@hooks.example.com/in"),
        ("https://hooks.example.com/cb#access_token=x", "https://hooks.example.com/cb#(sensitive)"),
        (
            "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXX1",
            "https://hooks.slack.com/services/T0000/B0000/(sensitive)",
        ),
        ("https://hooks.example.com/orbit/inbound", "https://hooks.example.com/orbit/inbound"),
        ("not a url ?token=abc", "not a url ?token=abc"),
        ("https://[::1/broken?x=1#f", "https://[::1/broken?(sensitive)"),
        ("://no-scheme?x=1", "://no-scheme?x=1"),
        ("see https://h.example.com/a?k=v and ftp://u:p@f.example.com/x",
         "see https://h.example.com/a?(sensitive) and ftp://(sensitive)@f.example.com/x"),
        ("", ""),
    ],
)
def test_mask_url_hides_query_userinfo_fragment_and_token_segments(url, masked):
    assert mask_url(url) == masked


def test_mask_reaches_nested_secret_keys_and_urls_but_keeps_empty_values():
    value = freeze(
        {
            "sms": {"api_key": "k-123", "rate": 5, "callback": "https://cb.example.com/x?sig=1"},
            "auth": {"user": "u", "pass": "p"},
            "token": "",
            "password": None,
            "list": ["https://a.example.com/?q=1", "plain"],
        }
    )
    assert mask(value) == {
        "sms": {"api_key": SENSITIVE, "rate": 5, "callback": "https://cb.example.com/x?(sensitive)"},
        "auth": SENSITIVE,
        "token": "",
        "password": None,
        "list": ["https://a.example.com/?(sensitive)", "plain"],
    }


def test_change_leaves_split_nested_mappings_and_flag_hidden_changes():
    change = Change(
        "channel_config",
        freeze({"sms": {"token": "a", "rate": 1}, "old": 1}),
        freeze({"sms": {"token": "b", "rate": 1}, "new": 2}),
    )
    leaves = {leaf.path: leaf for leaf in change_leaves(change)}
    assert set(leaves) == {("sms", "token"), ("old",), ("new",)}
    assert leaves[("sms", "token")].hidden_change
    assert leaves[("sms", "token")].before == SENSITIVE
    assert (leaves[("old",)].sign, leaves[("new",)].sign) == ("-", "+")


def test_masked_change_reports_whether_masking_hid_anything():
    assert masked_change(Change("label", "a", "b")) == ("a", "b", False)
    before, after, sensitive = masked_change(Change("webhook_url", None, "https://h.example.com/?k=v"))
    assert (before, after, sensitive) == (None, "https://h.example.com/?(sensitive)", True)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        ("a\"b", '"a\\"b"'),
        ("\x1b[2J", '"\\u001b[2J"'),
        (freeze(["sms", "voice"]), '["sms", "voice"]'),
        (freeze({"a": {"b": 1.5}}), '{"a": {"b": 1.5}}'),
        (SENSITIVE, "(sensitive)"),
        (Decimal("2.00"), "2.00"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_printable_makes_control_characters_visible():
    assert printable("a\nb\x1b[31m") == "a\\x0ab\\x1b[31m"


@pytest.mark.parametrize(
    ("amount", "money", "delta"),
    [
        ("1.5", "1.50", "+1.50 USD/month"),
        ("-0.75", "-0.75", "-0.75 USD/month"),
        ("0", "0.00", "+0.00 USD/month"),
        ("0.005", "0.005", "+0.005 USD/month"),
        ("12", "12.00", "+12.00 USD/month"),
    ],
)
def test_money_formats(amount, money, delta):
    assert format_money(Decimal(amount)) == money
    assert format_delta(Decimal(amount), "USD") == delta
