"""What each endpoint is sent of an entry's capabilities: the purchase provisions, the PUT toggles."""

from __future__ import annotations

from orbitctl.apply.configure import new_number_body, purchase_capabilities, put_body, read_back
from orbitctl.frozen import freeze
from orbitctl.model import Action, ActionKind, Selection


def test_a_purchase_asks_for_what_a_purchase_provisions_only():
    for stated, asked in [
        (("sms", "voice", "whatsapp"), ["sms", "voice", "whatsapp"]),
        (("sms", "mms", "rcs"), ["sms", "rcs"]),
        (("voice", "fax"), ["voice"]),
        ((), []),
    ]:
        assert purchase_capabilities(Selection(country="US", capabilities=stated)) == asked


def test_the_put_carries_only_the_toggles_and_the_read_back_compares_the_whole():
    action = Action(
        kind=ActionKind.PURCHASE, name="wa", selection=Selection(country="US", capabilities=("sms", "whatsapp")),
        config=freeze({"label": "WA", "capabilities": ("sms", "mms", "whatsapp", "rcs")}), tag="orbitctl__prod__wa",
    )
    body = new_number_body(action)
    assert put_body(body) == {"label": "WA", "capabilities": ["sms", "mms"], "tags": ["orbitctl__prod__wa"]}
    assert body["capabilities"] == ["sms", "mms", "whatsapp", "rcs"]  # what the number should hold
    returned = {"label": "WA", "capabilities": ["rcs", "mms", "sms", "whatsapp"], "tags": ["orbitctl__prod__wa"]}
    assert read_back(body, returned) == ()
    not_provisioned = {**returned, "capabilities": ["sms", "mms"]}
    [mismatch] = read_back(body, not_provisioned)
    assert (mismatch.key, mismatch.got) == ("capabilities", ["sms", "mms"])


def test_a_body_without_capabilities_is_sent_as_it_is():
    assert put_body({"label": "x", "tags": []}) == {"label": "x", "tags": []}
