"""export.py on hand-built accounts: names, de-duplication, stability, defaults, what is left out."""

from __future__ import annotations

import random

import pytest
import yaml

from orbitctl.account.api import NumberRecord
from orbitctl.account.observe import live_number
from orbitctl.errors import OrbitctlError
from orbitctl.export import (
    DEFAULT_SCHEMA_REF,
    NAME_PATTERN,
    assign_names,
    choose_stack,
    export_manifest,
    slugify,
)
from orbitctl.model import Live

_serial = iter(range(10_000))


def _timestamp(second: int) -> str:
    """Numbers built later are newer: each gets the next second of the day."""
    return f"2026-01-01T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"


def number(e164: str, **fields):
    """A LiveNumber as observe builds it from a detail record; ``fields`` override the defaults."""
    detail = {
        "country": "US",
        "type": "local",
        "label": "",
        "capabilities": ["sms", "voice"],
        "status": "active",
        "tags": [],
        "sms_webhook_url": None,
        "voice_webhook_url": None,
        "forwarding_number": "",
        "sms_forwarding": "",
        "compliance_profile_id": None,
        "channel_config": {},
        "monthly_cost": "1.50",
        "currency": "USD",
        "created_at": _timestamp(next(_serial)),
    }
    if "webhook" in fields:
        detail["sms_webhook_url"] = detail["voice_webhook_url"] = fields.pop("webhook")
    detail.update(fields)
    return live_number(NumberRecord(id=f"num_{e164[1:]}", number=e164, fields=detail))


def account(*numbers):
    return Live(numbers=tuple(numbers))


def manifest(result):
    return yaml.safe_load(result.text)


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "slug"),
    [
        ("Main Support Line", "main-support-line"),
        ("  UK -- Sales / EMEA  ", "uk-sales-emea"),
        ("Café Zürich", "cafe-zurich"),
        ("東京", ""),
        ("!!!", ""),
        ("a" * 50, "a" * 36),
        ("x" * 35 + " y", "x" * 35),  # cut at 36 leaves a trailing '-', which goes
    ],
)
def test_slugify_makes_valid_names_or_nothing(label, slug):
    assert slugify(label) == slug
    if slug:
        assert NAME_PATTERN.match(slug)


def test_names_come_from_labels_else_from_the_number():
    live = account(
        number("+14155550100", label="Main Support Line"),
        number("+14155550101", label=""),
        number("+14155550102", label="東京"),
    )
    entries = manifest(export_manifest(live, "prod", include_unmanaged=True))["numbers"]
    assert entries["main-support-line"]["number"] == "+14155550100"
    assert entries["number-14155550101"]["number"] == "+14155550101"
    assert entries["number-14155550102"]["number"] == "+14155550102"


def test_duplicate_labels_get_suffixes_oldest_first():
    live = account(
        number("+14155550300", label="Support", created_at="2026-01-01T00:00:00Z"),
        number("+14155550100", label="Support", created_at="2026-02-01T00:00:00Z"),
        number("+14155550200", label="support!", created_at="2026-02-01T00:00:00Z"),
    )
    entries = manifest(export_manifest(live, "prod", include_unmanaged=True))["numbers"]
    assert {name: entry["number"] for name, entry in entries.items()} == {
        "support": "+14155550300",  # the oldest
        "support-2": "+14155550100",  # same age: by number
        "support-3": "+14155550200",
    }


def test_a_label_never_takes_the_name_an_older_number_got():
    live = account(
        number("+14155550100", label="Support"),
        number("+14155550101", label="Support"),
        number("+14155550102", label="Support 2"),
    )
    names = assign_names(live.numbers)
    assert names == {
        "num_14155550100": "support",
        "num_14155550101": "support-2",
        "num_14155550102": "support-2-2",
    }


def test_suffixed_long_names_stay_within_36_characters():
    long_label = "L" * 60
    live = account(*(number(f"+1415555010{i}", label=long_label) for i in range(3)))
    names = set(assign_names(live.numbers).values())
    assert names == {"l" * 36, "l" * 34 + "-2", "l" * 34 + "-3"}
    assert all(NAME_PATTERN.match(name) for name in names)


def test_managed_numbers_keep_their_names_and_reserve_them():
    live = account(
        number("+14155550100", label="Support", tags=["orbitctl__prod__support", "team-a"]),
        number("+14155550101", label="Support"),
    )
    entries = manifest(export_manifest(live, "prod", include_unmanaged=True))["numbers"]
    assert entries["support"]["number"] == "+14155550100"
    assert entries["support-2"]["number"] == "+14155550101"
    assert entries["support"]["tags"] == ["team-a"]  # the ownership tag never shows


def test_export_is_the_same_whatever_order_the_account_lists_numbers_in():
    numbers = [
        number(f"+1415555{i:04d}", label=random.Random(i).choice(["Sales", "Support", ""]))
        for i in range(40)
    ]
    first = export_manifest(account(*numbers), "prod", include_unmanaged=True).text
    shuffled = list(numbers)
    random.Random(7).shuffle(shuffled)
    assert export_manifest(account(*shuffled), "prod", include_unmanaged=True).text == first


def test_numbers_bought_later_never_rename_the_ones_before():
    before = [
        number("+14155550500", label="Sales"),
        number("+14155550400", label="Sales"),
        number("+14155550300", label="Sales 2"),
    ]
    later = [number("+14155550100", label="Sales"), number("+14155550200", label="Sales 2")]
    names_before = assign_names(before)
    names_after = assign_names(before + later)
    assert {k: names_after[k] for k in names_before} == names_before
    assert len(set(names_after.values())) == 5


# --- what is included -------------------------------------------------------------------------


def test_default_exports_only_the_stacks_own_numbers():
    live = account(
        number("+14155550100", label="Mine", tags=["orbitctl__prod__mine"]),
        number("+14155550101", label="Theirs", tags=["orbitctl__billing__theirs"]),
        number("+14155550102", label="Nobody's"),
    )
    result = export_manifest(live, "prod")
    assert list(manifest(result)["numbers"]) == ["mine"]
    assert (result.managed, result.adopted, result.unmanaged_left_out) == (1, 0, 1)
    assert result.foreign_left_out == {"billing": 1}


def test_unmanaged_adds_unowned_numbers_but_never_another_stacks():
    live = account(
        number("+14155550100", label="Mine", tags=["orbitctl__prod__mine"]),
        number("+14155550101", label="Theirs", tags=["orbitctl__billing__theirs"]),
        number("+14155550102", label="Nobody's"),
    )
    result = export_manifest(live, "prod", include_unmanaged=True)
    numbers = {entry["number"] for entry in manifest(result)["numbers"].values()}
    assert numbers == {"+14155550100", "+14155550102"}
    assert (result.managed, result.adopted, result.unmanaged_left_out) == (1, 1, 0)


def test_another_stack_is_exported_by_naming_it():
    live = account(
        number("+14155550100", label="Mine", tags=["orbitctl__prod__mine"]),
        number("+14155550101", label="Theirs", tags=["orbitctl__billing__their-line"]),
    )
    document = manifest(export_manifest(live, "billing"))
    assert document["stack"] == "billing"
    assert list(document["numbers"]) == ["their-line"]


def test_a_number_with_ten_tags_is_left_out_with_a_reason():
    tags = [f"t{i}" for i in range(10)]
    live = account(number("+14155550100", tags=tags), number("+14155550101"))
    result = export_manifest(live, "prod", include_unmanaged=True)
    assert [e["number"] for e in manifest(result)["numbers"].values()] == ["+14155550101"]
    assert any("+14155550100" in line and "10 tags" in line for line in result.warnings)


def test_a_pool_stays_one_entry_with_its_count():
    live = account(
        number("+14155550100", tags=["orbitctl__prod__sms-pool"], capabilities=["sms"], label="a"),
        number("+14155550101", tags=["orbitctl__prod__sms-pool"], capabilities=["sms"], label="b"),
        number("+14155550102", label="Other", tags=["orbitctl__prod__other"]),
    )
    result = export_manifest(live, "prod")
    pool = manifest(result)["numbers"]["sms-pool"]
    assert pool["count"] == 2 and "number" not in pool
    assert pool["capabilities"] == ["sms"]
    assert "label" not in pool  # the members' labels differ: left unmanaged
    assert "# a pool of 2: +14155550100, +14155550101" in result.text


# --- stack ------------------------------------------------------------------------------------


def test_stack_defaults_to_the_only_stack_on_the_account():
    live = account(number("+14155550100", tags=["orbitctl__prod__a"]), number("+14155550101"))
    assert choose_stack(live, None) == "prod"


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ([[], []], "no stack manages a number"),
        ([["orbitctl__a__x"], ["orbitctl__b__y"]], "2 stacks (a, b)"),
    ],
)
def test_stack_must_be_named_when_the_account_does_not_tell(tags, message):
    live = account(*(number(f"+1415555010{i}", tags=t) for i, t in enumerate(tags)))
    with pytest.raises(OrbitctlError, match=r"--stack") as raised:
        choose_stack(live, None)
    assert message in str(raised.value)


def test_a_bad_stack_name_is_refused_with_what_is_allowed():
    with pytest.raises(OrbitctlError, match="at most 16 characters"):
        choose_stack(account(), "Prod_Stack")


# --- configuration and defaults ---------------------------------------------------------------


def test_common_values_are_lifted_and_differing_entries_state_their_own():
    hook = "https://hooks.example.com/in"
    live = account(
        number("+14155550100", label="A", webhook=hook),
        number("+14155550101", label="B", webhook=hook),
        number("+14155550104", label="E", webhook=hook),
        number("+14155550102", label="C", webhook=None, capabilities=["sms"]),
        number("+442071234567", label="D", webhook="https://other.example.com/x", country="GB"),
    )
    document = manifest(export_manifest(live, "prod", include_unmanaged=True))
    assert document["defaults"] == {
        "country": "US",
        "type": "local",
        "status": "active",
        "capabilities": ["sms", "voice"],
        "webhook_url": hook,
    }
    entries = document["numbers"]
    assert set(entries["a"]) == {"number", "label"}
    assert entries["c"]["webhook_url"] is None  # states "no webhook" against the default
    assert entries["c"]["capabilities"] == ["sms"]
    assert entries["d"]["country"] == "GB"
    assert entries["d"]["webhook_url"] == "https://other.example.com/x"


def test_a_value_only_half_share_is_not_lifted():
    live = account(
        number("+14155550100", forwarding_number="+14155550999"),
        number("+14155550101"),
    )
    document = manifest(export_manifest(live, "prod", include_unmanaged=True))
    assert "forwarding_number" not in document["defaults"]
    entries = document["numbers"]
    assert entries["number-14155550100"]["forwarding_number"] == "+14155550999"
    assert "forwarding_number" not in entries["number-14155550101"]  # empty: left out


def test_every_configuration_key_is_written_as_it_is_live():
    live = account(
        number(
            "+14155550100",
            label="Everything",
            status="inactive",
            capabilities=["voice", "sms", "mms"],
            tags=["b-tag", "a_tag"],
            webhook="https://hooks.example.com/x",
            forwarding_number="+14155550111",
            sms_forwarding="+14155550112",
            compliance_profile_id="cp_123",
            channel_config={"sms": {"sender_id": "ACME"}, "voice": {"record": True}},
        )
    )
    entry = manifest(export_manifest(live, "prod", include_unmanaged=True))["numbers"]["everything"]
    assert entry == {
        "number": "+14155550100",
        "country": "US",
        "type": "local",
        "label": "Everything",
        "status": "inactive",
        "capabilities": ["mms", "sms", "voice"],
        "tags": ["a_tag", "b-tag"],
        "webhook_url": "https://hooks.example.com/x",
        "forwarding_number": "+14155550111",
        "sms_forwarding": "+14155550112",
        "compliance_profile_id": "cp_123",
        "channel_config": {"sms": {"sender_id": "ACME"}, "voice": {"record": True}},
    }


def test_empty_values_are_left_out():
    live = account(number("+14155550100", label="Bare"))
    entry = manifest(export_manifest(live, "prod", include_unmanaged=True))["numbers"]["bare"]
    assert set(entry) == {"number", "country", "type", "label", "status", "capabilities"}


def test_values_a_manifest_cannot_state_are_ignored_not_fought():
    live = account(
        number("+14155550100", label="A"),
        number("+14155550101", label="B"),
        number("+14155550102", label="Held", status="regulatory_hold"),
        number(
            "+14155550103",
            label="Split",
            sms_webhook_url="https://a.example.com",
            voice_webhook_url="https://b.example.com",
        ),
    )
    result = export_manifest(live, "prod", include_unmanaged=True)
    entries = manifest(result)["numbers"]
    assert manifest(result)["defaults"]["status"] == "active"
    assert entries["held"]["lifecycle"] == {"ignore_changes": ["status"]}
    assert "status" not in entries["held"]
    assert "webhook_url" not in entries["split"]
    expected = "split: webhook_url left unmanaged: the SMS and voice webhooks differ"
    assert any(expected in line for line in result.warnings)


def test_header_points_editors_at_the_schema_and_has_no_timestamp():
    result = export_manifest(account(number("+14155550100")), "prod", include_unmanaged=True)
    assert result.text.startswith(f"# yaml-language-server: $schema={DEFAULT_SCHEMA_REF}\n")
    custom = export_manifest(account(), "prod", schema_ref="https://x.example/m.json")
    assert custom.text.startswith("# yaml-language-server: $schema=https://x.example/m.json\n")
    assert manifest(custom) == {"version": 1, "stack": "prod", "numbers": {}}


def test_phone_numbers_and_odd_labels_stay_strings_in_yaml():
    live = account(number("+14155550100", label="yes", forwarding_number="+14155550111"))
    entry = manifest(export_manifest(live, "prod", include_unmanaged=True))["numbers"]["yes"]
    assert entry["label"] == "yes" and entry["number"] == "+14155550100"
    assert entry["forwarding_number"] == "+14155550111"


@pytest.mark.parametrize("text", ["1e3", "0o17", "0x1F", ".5", "-.inf", ".NaN", "1_000", "TRUE", "~", "null", "12"])
def test_strings_that_yaml_12_reads_as_numbers_are_quoted(tmp_path, text):
    """The loader reads YAML 1.2 (``1e3`` and ``0o17`` are numbers there, not in YAML 1.1)."""
    from orbitctl.manifest import load_manifests

    live = account(number("+14155550100", label=text, tags=["support", "1e5", "0o7"]))
    path = tmp_path / "numbers.yaml"
    path.write_text(export_manifest(live, "prod", include_unmanaged=True).text, encoding="utf-8")
    (entry,) = load_manifests([path], environ={}).entries.values()
    assert entry.config["label"] == text
    assert sorted(entry.config["tags"]) == ["0o7", "1e5", "support"]


def test_a_live_value_with_a_lone_surrogate_is_left_unmanaged_with_a_warning():
    """JSON from the API can carry "\\ud800"; a manifest cannot (the file would not be UTF-8)."""
    live = account(number("+14155550100", label="Support \ud800", tags=["ok"]))
    result = export_manifest(live, "prod", include_unmanaged=True)
    result.text.encode("utf-8")
    assert any("label left unmanaged" in warning and "lone surrogate" in warning for warning in result.warnings)


# --- the export reads back as a manifest whose plan adopts and changes nothing else -------------


def plan_of(result, live, tmp_path):
    from orbitctl.manifest import load_manifests
    from orbitctl.plan.planner import plan

    path = tmp_path / "numbers.yaml"
    path.write_text(result.text, encoding="utf-8")
    return plan(load_manifests([path], environ={}), live)


def test_exported_manifest_loads_and_plans_only_adopts(tmp_path):
    hook = "https://hooks.example.com/in"
    live = account(
        number("+14155550100", label="Support", webhook=hook, tags=["support"]),
        number("+14155550101", label="Support", webhook=hook, tags=["support", "us-west"]),
        number("+14155550102", label="Sales ${TEAM}", webhook=None, status="inactive"),
        number("+14155550103", label="Held", status="regulatory_hold", webhook=hook),
        number("+14155550104", label="Fax", capabilities=["fax", "rcs"], webhook=hook),
        number(
            "+14155550105",
            label="Split",
            sms_webhook_url="https://a.example.com",
            voice_webhook_url="https://b.example.com",
        ),
        number("+14155550106", label="Plain http", webhook="http://insecure.example.com"),
        number("+442071234567", label="London", country="GB", channel_config={"sms": {"x": 1}}),
        number("+18005550100", label="Toll free", type="toll_free", webhook=hook),
        number("+14155550107", label="Mine", tags=["orbitctl__prod__mine"], webhook=hook),
        number("+14155550108", label="Pool", tags=["orbitctl__prod__pool"], webhook=hook),
        number("+14155550109", label="Pool", tags=["orbitctl__prod__pool"], webhook=hook),
        number("+14155550110", label="Theirs", tags=["orbitctl__other__x"]),
    )
    result = export_manifest(live, "prod", include_unmanaged=True)
    planned = plan_of(result, live, tmp_path)
    adopted = {action.number for action in planned.actions if action.kind.value == "adopt"}
    assert [a for a in planned.actions if a.kind.value != "adopt"] == []
    assert adopted == {n.number for n in live.numbers if n.owner is None}
    assert planned.unchanged == 3  # mine and the pool of two
    for action in planned.actions:
        changed = {change.key for change in action.changes}
        assert changed <= {"tags"}, (action.name, action.changes)  # the ownership tag only
    assert yaml.safe_load(result.text)["numbers"]["sales-team"]["label"] == "Sales $${TEAM}"


def test_an_unmanaged_number_that_cannot_be_pinned_is_left_out():
    live = account(number("+14155550100", country="GB"), number("+14155550101"))
    result = export_manifest(live, "prod", include_unmanaged=True)
    assert [e["number"] for e in manifest(result)["numbers"].values()] == ["+14155550101"]
    assert any(line.startswith("+14155550100 left out") for line in result.warnings)


def test_values_outside_the_schema_are_left_unmanaged_with_a_warning():
    live = account(
        number("+14155550100", label="A", capabilities=["sms", "video"]),
        number("+14155550101", label="B", webhook="http://insecure.example.com"),
        number("+14155550102", label="C", forwarding_number="+1999"),
    )
    result = export_manifest(live, "prod", include_unmanaged=True)
    entries = manifest(result)["numbers"]
    assert "capabilities" not in entries["a"]
    assert "webhook_url" not in entries["b"]
    assert "forwarding_number" not in entries["c"]
    assert len(result.warnings) == 3
    assert any("'http://insecure.example.com' cannot be written" in w for w in result.warnings)


def test_a_managed_name_no_manifest_can_state_is_renamed_and_adopted(tmp_path):
    live = account(
        number("+14155550100", label="Odd", tags=["orbitctl__prod__Bad_Name"]),
        number("+14155550101", label="Fine", tags=["orbitctl__prod__fine"]),
    )
    result = export_manifest(live, "prod")
    assert set(manifest(result)["numbers"]) == {"odd", "fine"}
    assert any("'Bad_Name' is not a valid name" in line for line in result.warnings)
    planned = plan_of(result, live, tmp_path)
    assert [(a.kind.value, a.name, a.previous_name) for a in planned.actions] == [("adopt", "odd", "Bad_Name")]


def test_the_only_stack_on_the_account_must_be_a_valid_name_too():
    live = account(number("+14155550100", tags=["orbitctl__Prod__a"]))
    with pytest.raises(OrbitctlError, match="'Prod' is not a stack name"):
        choose_stack(live, None)


def test_name_max_is_what_the_schemas_name_pattern_allows():
    from orbitctl.export import NAME_MAX

    assert NAME_PATTERN.match("a" * NAME_MAX) and not NAME_PATTERN.match("a" * (NAME_MAX + 1))


# --- secrets are written as ${VARIABLE} placeholders, never in clear ---------------------------

TOKEN_HOOK = "https://hooks.example.com/orbit/in?token=tok3n-s3cret"
SLACK_HOOK = "https://hooks.slack.example.com/services/T0000/B0000/XXXXXXXXXXabcdef12345678"
CREDENTIAL_HOOK = "https://orbit:pa55word@hooks.example.com/in"  # no manifest can state it: not written
FRAGMENT_HOOK = "https://hooks.example.com/wa#sig=fr4gment"


def secret_account():
    return account(
        number("+14155550100", label="Support", webhook=TOKEN_HOOK, tags=["orbitctl__prod__support"]),
        number("+14155550101", label="Sales", webhook=TOKEN_HOOK, tags=["orbitctl__prod__sales"]),
        number("+14155550102", label="Slack", webhook=SLACK_HOOK, tags=["orbitctl__prod__slack"]),
        number(
            "+14155550103",
            label="Whatsapp",
            webhook=FRAGMENT_HOOK,
            tags=["orbitctl__prod__wa"],
            channel_config={
                "whatsapp": {"api_token": "wa-t0ken", "sender": "ACME"},
                "sms": {"auth": ["auth-one", "auth-two"]},
            },
        ),
        number(
            "+14155550104",
            label="Pin",
            webhook=TOKEN_HOOK,
            tags=["orbitctl__prod__pin"],
            channel_config={"voice": {"pin": 1234}},
        ),
        number("+14155550107", label="Billing", webhook=TOKEN_HOOK, tags=["orbitctl__prod__billing"]),
        number("+14155550108", label="Login", webhook=CREDENTIAL_HOOK, tags=["orbitctl__prod__login"]),
        number("+14155550109", label="Desk", webhook=TOKEN_HOOK, tags=["orbitctl__prod__desk"]),
        number("+14155550105", label="Pool", webhook=SLACK_HOOK, tags=["orbitctl__prod__pool"]),
        number("+14155550106", label="Pool", webhook=SLACK_HOOK, tags=["orbitctl__prod__pool"]),
    )


SECRETS = ("fr4gment", "tok3n-s3cret", "XXXXXXXXXXabcdef12345678", "pa55word", "wa-t0ken", "auth-one", "auth-two",
           "1234")


def test_every_value_a_plan_masks_is_a_placeholder_and_never_written():
    result = export_manifest(secret_account(), "prod")
    written = manifest(result)
    for secret in SECRETS:
        assert secret not in result.text, secret
    assert written["defaults"]["webhook_url"] == "${PROD_DEFAULTS_WEBHOOK_URL}"
    entries = written["numbers"]
    # one secret, one variable, named after its first place
    assert entries["pool"]["webhook_url"] == entries["slack"]["webhook_url"] == "${PROD_POOL_WEBHOOK_URL}"
    assert entries["wa"]["webhook_url"] == "${PROD_WA_WEBHOOK_URL}"
    assert entries["wa"]["channel_config"] == {
        "whatsapp": {"api_token": "${PROD_WA_CHANNEL_CONFIG_WHATSAPP_API_TOKEN}", "sender": "ACME"},
        "sms": {"auth": ["${PROD_WA_CHANNEL_CONFIG_SMS_AUTH_0}", "${PROD_WA_CHANNEL_CONFIG_SMS_AUTH_1}"]},
    }
    assert "webhook_url" not in entries["support"] and "webhook_url" not in entries["sales"]


def test_a_secret_that_is_not_text_leaves_the_key_unmanaged_with_a_warning():
    """A variable gives text only: 1234 under ``pin`` cannot come from one, nor be written."""
    result = export_manifest(secret_account(), "prod")
    assert "channel_config" not in manifest(result)["numbers"]["pin"]
    assert "pin: channel_config left unmanaged: channel_config.voice.pin is a secret that is not text" in (
        "\n".join(result.warnings)
    )


def test_a_secret_no_manifest_can_state_is_masked_in_its_warning():
    result = export_manifest(secret_account(), "prod")
    entry = manifest(result)["numbers"]["login"]
    assert entry["lifecycle"] == {"ignore_changes": ["webhook_url"]}  # the default is not forced on it
    warning = next(line for line in result.warnings if line.startswith("login:"))
    assert "webhook_url 'https://(sensitive)@hooks.example.com/in' cannot be written" in warning
    assert all("pa55word" not in line for line in result.warnings)


def test_the_variables_say_where_each_is_used_and_show_the_masked_value():
    described = [variable.describe() for variable in export_manifest(secret_account(), "prod").variables]
    assert described == [
        'PROD_DEFAULTS_WEBHOOK_URL: webhook_url in defaults (now "https://hooks.example.com/orbit/in?(sensitive)")',
        "PROD_POOL_WEBHOOK_URL: webhook_url of entries pool, slack "
        '(now "https://hooks.slack.example.com/services/T0000/B0000/(sensitive)")',
        'PROD_WA_WEBHOOK_URL: webhook_url of entry wa (now "https://hooks.example.com/wa#(sensitive)")',
        "PROD_WA_CHANNEL_CONFIG_WHATSAPP_API_TOKEN: channel_config.whatsapp.api_token of entry wa (now (sensitive))",
        "PROD_WA_CHANNEL_CONFIG_SMS_AUTH_0: channel_config.sms.auth.0 of entry wa (now (sensitive))",
        "PROD_WA_CHANNEL_CONFIG_SMS_AUTH_1: channel_config.sms.auth.1 of entry wa (now (sensitive))",
    ]


def test_with_its_variables_set_the_export_plans_no_change(tmp_path):
    from orbitctl.manifest import ManifestError, load_manifests
    from orbitctl.plan.planner import plan

    odd = "https://hooks.example.com/odd?token=${not-a-variable}"  # a literal ${ inside a secret
    odd_number = number("+14155550110", label="Odd", webhook=odd, tags=["orbitctl__prod__odd"])
    live = account(*secret_account().numbers, odd_number)
    result = export_manifest(live, "prod")  # 5 of 10 entries share TOKEN_HOOK now: not lifted
    path = tmp_path / "numbers.yaml"
    path.write_text(result.text, encoding="utf-8")
    with pytest.raises(ManifestError, match="PROD_BILLING_WEBHOOK_URL is not set"):
        load_manifests([path], environ={})

    environ = {
        "PROD_BILLING_WEBHOOK_URL": TOKEN_HOOK,
        "PROD_POOL_WEBHOOK_URL": SLACK_HOOK,
        "PROD_ODD_WEBHOOK_URL": odd,
        "PROD_WA_WEBHOOK_URL": FRAGMENT_HOOK,
        "PROD_WA_CHANNEL_CONFIG_WHATSAPP_API_TOKEN": "wa-t0ken",
        "PROD_WA_CHANNEL_CONFIG_SMS_AUTH_0": "auth-one",
        "PROD_WA_CHANNEL_CONFIG_SMS_AUTH_1": "auth-two",
    }
    assert sorted(variable.name for variable in result.variables) == sorted(environ)
    planned = plan(load_manifests([path], environ=environ), live)
    assert planned.actions == () and planned.unchanged == 11


def test_a_variable_used_in_many_places_names_them_briefly():
    from orbitctl.placeholders import Placeholders

    placeholders = Placeholders("prod")
    placeholders.hide(TOKEN_HOOK, ("webhook_url",), "defaults")
    for name in ("a", "b", "c", "d", "e"):
        placeholders.hide({"sms": {"token": TOKEN_HOOK}}, ("channel_config",), name)
    (variable,) = placeholders.variables
    assert variable.describe() == (
        "PROD_DEFAULTS_WEBHOOK_URL: webhook_url in defaults; channel_config.sms.token of entries a, b, c and 2 more "
        '(now "https://hooks.example.com/orbit/in?(sensitive)")'
    )


@pytest.mark.parametrize(
    ("parts", "name"),
    [(("prod", "line-5", "webhook_url"), "PROD_LINE_5_WEBHOOK_URL"),
     (("1st", "défaut", "channel_config", "X-Api-Token"), "_1ST_DEFAUT_CHANNEL_CONFIG_X_API_TOKEN")],
)
def test_variable_names_are_upper_case_words_and_never_start_with_a_digit(parts, name):
    from orbitctl.placeholders import variable_name

    assert variable_name(*parts) == name


def test_two_secrets_whose_names_would_clash_get_suffixes():
    from orbitctl.placeholders import Placeholders

    placeholders = Placeholders("prod")
    hidden = placeholders.hide({"api-token": "one", "api_token": "two"}, ("channel_config",), "a")
    assert hidden == {
        "api-token": "${PROD_A_CHANNEL_CONFIG_API_TOKEN}",
        "api_token": "${PROD_A_CHANNEL_CONFIG_API_TOKEN_2}",
    }
