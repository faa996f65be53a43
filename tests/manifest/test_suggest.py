""""Did you mean": what a misspelled key or value most likely meant, taken from the schema (so a
key added there is suggested with no other list to update), and one message per typo."""

from __future__ import annotations

from pathlib import Path

import pytest

from orbitctl.manifest import ManifestError, load_manifests
from orbitctl.manifest.schema import manifest_schema
from orbitctl.manifest.suggest import closest, mended, with_suggestion

DEFS = manifest_schema()["$defs"]


@pytest.mark.parametrize(
    "word, choices, expected",
    [
        ("labl", ["label", "tags"], "label"),
        ("SMS", ["sms", "mms"], "sms"),  # another case first, even where difflib would hesitate
        ("us", ["US", "GB"], "US"),
        ("capabilites", ["capabilities", "channel_config"], "capabilities"),
        ("enabled", ["active", "inactive"], None),  # nothing close
        ("label", ["label"], None),  # already a choice
        ("", ["label"], None),
    ],
)
def test_closest(word, choices, expected):
    assert closest(word, choices) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Support", "support"),
        ("Support Team", "support-team"),
        ("Support_Team", "support_team"),  # lower-cased before separators are changed
        (" main", "main"),
        ("!!!", None),
    ],
)
def test_mended_takes_the_first_way_that_fits(value, expected):
    fits = {"support", "support-team", "main", "support_team"}.__contains__
    assert mended(value, fits) == expected


def test_the_suggestion_goes_after_what_is_wrong_before_what_is_allowed():
    message = "unknown key 'labl' (allowed: a (b), label)"
    assert with_suggestion(message, "label") == "unknown key 'labl', did you mean 'label'? (allowed: a (b), label)"
    assert with_suggestion(message, None) == message


def problems(tmp_path: Path, text: str, name: str = "m.yaml"):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ManifestError) as caught:
        load_manifests([tmp_path], environ={})
    return caught.value.problems


HEAD = "version: 1\nstack: s\n"


@pytest.mark.parametrize("key", list(DEFS["entry"]["properties"]))
def test_every_entry_key_of_the_schema_is_suggested(tmp_path, key):
    (problem,) = problems(tmp_path, HEAD + f"numbers:\n  a:\n    country: US\n    {key[:-1]}: x\n")
    assert problem.suggestion == key and f"did you mean {key!r}?" in problem.message


@pytest.mark.parametrize("key", list(DEFS["defaults"]["properties"]))
def test_every_defaults_key_of_the_schema_is_suggested(tmp_path, key):
    found = problems(tmp_path, HEAD + f"defaults:\n  {key.upper()}: x\nnumbers:\n  a: {{country: US}}\n")
    assert [problem.suggestion for problem in found] == [key]


@pytest.mark.parametrize("key", list(manifest_schema()["properties"]))
def test_every_top_level_key_of_the_schema_is_suggested(tmp_path, key):
    found = problems(tmp_path, f"version: 1\nstack: s\n{key[:-1]}x: {{}}\n")
    assert [problem.suggestion for problem in found] == [key]


@pytest.mark.parametrize(
    "key, values",
    [
        ("type", DEFS["type"]["enum"]),
        ("status", DEFS["status"]["enum"]),
        ("capabilities", DEFS["capabilities"]["items"]["enum"]),
        ("lifecycle", DEFS["lifecycle"]["properties"]["ignore_changes"]["items"]["enum"]),
    ],
)
def test_every_value_of_a_closed_set_is_suggested(tmp_path, key, values):
    for value in values:
        written = {
            "capabilities": f"[{value.upper()}]",
            "lifecycle": f"{{ignore_changes: [{value.upper()}]}}",
        }.get(key, value.upper())
        (problem,) = problems(tmp_path, HEAD + f"numbers:\n  a:\n    country: US\n    {key}: {written}\n")
        assert problem.suggestion == value, problem


def test_a_country_is_suggested_only_if_it_is_one(tmp_path):
    found = problems(tmp_path, HEAD + "numbers:\n  a: {country: de}\n  b: {country: zz}\n  c: {country: UK}\n")
    assert [(problem.path, problem.suggestion) for problem in found] == [
        ("numbers.a.country", "DE"), ("numbers.b.country", None), ("numbers.c.country", "GB"),
    ]


def test_a_mended_value_must_pass_the_whole_rule(tmp_path):
    """``Orbitctl__x`` lower-cased fits the tag pattern but is reserved: the next mending is taken."""
    (problem,) = problems(tmp_path, HEAD + "numbers:\n  a: {country: US, tags: [Orbitctl__x]}\n")
    assert problem.suggestion == "orbitctl-x"


# --- one typo, one message ------------------------------------------------------------------


def test_a_typo_in_one_entry_hides_only_that_entrys_missing_country(tmp_path):
    found = problems(tmp_path, HEAD + "numbers:\n  a: {contry: US}\n  b: {label: B}\n")
    assert [(problem.path, problem.suggestion) for problem in found] == [
        ("numbers.a.contry", "country"), ("numbers.b.country", None),
    ]
    assert found[1].message.startswith("no country")


def test_a_typo_deeper_in_an_entry_does_not_hide_its_missing_country(tmp_path):
    found = problems(tmp_path, HEAD + "numbers:\n  a: {lifecycle: {prevent_relase: true}}\n")
    assert [problem.path for problem in found] == ["numbers.a.country", "numbers.a.lifecycle.prevent_relase"]


def test_a_misspelled_defaults_in_another_file_hides_the_missing_countries(tmp_path):
    (tmp_path / "a.yaml").write_text(HEAD + "defualts: {country: US}\n")
    found = problems(tmp_path, HEAD + "numbers:\n  a: {}\n  b: {}\n", name="b.yaml")
    assert [(Path(problem.file).name, problem.path) for problem in found] == [("a.yaml", "defualts")]


def test_a_misspelled_capability_is_not_also_a_missing_one(tmp_path):
    """``[SMS]`` lacks a capability the configure PUT can enable only because of the typo."""
    found = problems(tmp_path, HEAD + "numbers:\n  a: {country: US, capabilities: [SMS]}\n"
                     "  b: {country: US, capabilities: [whatsapp]}\n")
    assert [(problem.path, problem.suggestion) for problem in found] == [
        ("numbers.a.capabilities[0]", "sms"), ("numbers.b.capabilities", None),
    ]


def test_a_misspelled_required_key_is_not_also_missing(tmp_path):
    found = problems(tmp_path, "verison: 1\nnumbers: {}\n")
    assert [(problem.path, problem.suggestion) for problem in found] == [
        ("stack", None), ("verison", "version"),
    ]
    assert "the key 'stack' is missing" in found[0].message
