"""The YAML reader: YAML 1.2 core scalars, keys as written, marks, and hostile input refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbitctl.manifest import yamlload
from orbitctl.manifest.yamlload import MAX_DEPTH, MAX_VALUES, parse_text, read_document

FIXTURES = Path(__file__).resolve().parents[1] / "manifests"


def test_yaml_1_2_core_scalars():
    document, problems = parse_text(
        "m.yaml",
        "a: [yes, no, on, off, NO, true, False, ~, null, '', 017, 0o17, 0x1F, 1.5, -.inf, 2024-01-01, +1415]\n",
    )
    assert problems == []
    assert document.data["a"] == [
        "yes", "no", "on", "off", "NO", True, False, None, None, "", 17, 15, 31, 1.5, float("-inf"),
        "2024-01-01", 1415,
    ]


def test_keys_are_taken_as_written():
    document, problems = parse_text("m.yaml", "1: a\ntrue: b\n~: c\n'x': d\n")
    assert problems == []
    assert document.data == {"1": "a", "true": "b", "~": "c", "x": "d"}


def test_marks_point_at_values_and_at_keys_of_collections():
    document, _ = parse_text("m.yaml", "numbers:\n  a:\n    tags: [x, y]\n    label: L\n")
    assert document.marks[("numbers", "a")] == (2, 3)
    assert document.marks[("numbers", "a", "tags", 1)] == (3, 15)
    assert document.marks[("numbers", "a", "label")] == (4, 12)
    assert document.key_marks[("numbers", "a", "label")] == (4, 5)


def test_aliases_are_expanded():
    document, problems = parse_text("m.yaml", "a: &caps [sms, voice]\nb: *caps\n")
    assert problems == [] and document.data["b"] == ["sms", "voice"]


def test_duplicate_keys_in_nested_mappings_inside_lists():
    _, problems = parse_text("m.yaml", "a:\n  - {x: 1, y: 2, x: 3}\n")
    (problem,) = problems
    assert (problem.line, problem.column, problem.path) == (2, 18, "a[0].x")
    assert "first defined at line 2" in problem.message


def test_alias_bomb_is_refused():
    levels = ["l0: &l0 [" + ", ".join(["x"] * 10) + "]"]
    levels += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 7)]
    _, problems = parse_text("m.yaml", "\n".join(levels))
    (problem,) = problems
    assert f"more than {MAX_VALUES} values" in problem.message


def test_a_large_manifest_without_aliases_is_not_an_alias_bomb(monkeypatch):
    """The limit is on values reached again through aliases, not on values written once: a
    manifest of many entries has far more than MAX_VALUES of those. (The limit is lowered, so that
    the manifest stays small: loading 10,000 entries is timed in benchmarks/bench_manifest.py.)"""
    monkeypatch.setattr(yamlload, "MAX_VALUES", 40)
    entries = 40  # six values each
    text = "numbers:\n" + "".join(f"  e{index}: {{country: US, tags: [a, b]}}\n" for index in range(entries))
    document, problems = parse_text("m.yaml", text)
    assert problems == [] and len(document.data["numbers"]) == entries
    # the lowered limit holds for aliases: 41 values reached again
    _, problems = parse_text("m.yaml", "a: &a [" + ", ".join(["x"] * 40) + "]\nb: *a\n")
    (problem,) = problems
    assert "more than 40 values" in problem.message


def test_deep_nesting_is_refused():
    depth = MAX_DEPTH + 5
    _, problems = parse_text("m.yaml", "a: " + "[" * depth + "]" * depth)
    (problem,) = problems
    assert f"more than {MAX_DEPTH} levels" in problem.message


def test_nesting_deeper_than_the_parser_can_go():
    _, problems = parse_text("m.yaml", "[" * 5000)
    assert len(problems) == 1 and problems[0].line == 1


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_bytes(b"\xef\xbb\xbfversion: 1\n")
    document, problems = read_document(path)
    assert problems == [] and document.data == {"version": 1}


@pytest.mark.parametrize(
    "data, line, column, text",
    [
        (b"a: 1\nb: \xc3\x28\n", 2, 4, "not valid UTF-8 (byte 0xc3)"),
        (b"\xff\xfea\x00:\x00", 1, 4, "binary file"),
        (b"a: 1\n\n  b: \x1b[0m\n", 3, 6, "U+001B"),
    ],
)
def test_undecodable_input_is_located(tmp_path, data, line, column, text):
    path = tmp_path / "m.yaml"
    path.write_bytes(data)
    document, problems = read_document(path)
    (problem,) = problems
    assert (problem.line, problem.column) == (line, column) and text in problem.message
    assert document.data is None


# --- libyaml and the pure-Python composer: the same documents, marks and problems ----------------

needs_libyaml = pytest.mark.skipif(yamlload._FAST_LOADER is None, reason="PyYAML without libyaml")

TOKENS = st.sampled_from(
    [*":-[]{},#&*!|>'\"?%@`\\.~ \n\t\r", "\x85", "\u2028", "é", "😀", "a", "b1", "a: ", "- ", "\n  ", "&x ",
     "*x", "!!str ", "!!binary ", "<<: ", "---\n", "...\n", "? ", "0x1F", "1e3", ".inf", "null", "NO", "'it''s'",
     '"\\u00e9"', '"\\ud800"', "|\n  ", ">-\n  ", "\\t", "\x07", "\ufeff"]
)
NODES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=15,
)
DUMPED = st.builds(
    lambda data, flow, width, unicode: yaml.safe_dump(data, default_flow_style=flow, width=width,
                                                      allow_unicode=unicode),
    NODES, st.sampled_from([None, True, False]), st.integers(1, 120), st.booleans(),
)


def same_values(one, two) -> bool:
    if isinstance(one, float) and isinstance(two, float) and one != one and two != two:
        return True  # nan
    if type(one) is not type(two):
        return False
    if isinstance(one, dict):
        return list(one) == list(two) and all(same_values(one[key], two[key]) for key in one)
    if isinstance(one, list):
        return len(one) == len(two) and all(map(same_values, one, two))
    return one == two


def assert_composers_agree(text: str) -> None:
    (fast, fast_problems), (pure, pure_problems) = parse_text("m.yaml", text), parse_text("m.yaml", text,
                                                                                          libyaml=False)
    if yamlload._compose_fast(text) is not None and pure.data is None and pure_problems:
        return  # PyYAML refuses what YAML allows and libyaml reads (a tab between tokens, "|#")
    assert same_values(fast.data, pure.data), text
    assert (fast.marks, fast.key_marks, fast_problems) == (pure.marks, pure.key_marks, pure_problems), text


@needs_libyaml
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(TOKENS, max_size=40).map("".join) | DUMPED | st.text(max_size=60))
def test_libyaml_and_pure_composing_agree(text):
    assert_composers_agree(text)


@needs_libyaml
@pytest.mark.parametrize(
    "text",
    [
        "a: {b: , c}\n",  # an empty value in a flow mapping: libyaml marks the next token
        "? b",  # a complex key without a value, at the end of the file
        "? >-\n  NO\n",
        ": a\n",  # an empty key
        "---\n",  # an empty document
        "a:\n  label:\n  country: US\n",  # key: at the end of a line is marked alike
        "x: !\ny: ! 5\n",  # a node of only the tag ! is "", as libyaml reads it
        ":\ufeff:",  # PyYAML counts no column for a U+FEFF, libyaml one
    ],
)
def test_where_libyaml_marks_otherwise_the_pure_composer_decides(text):
    assert_composers_agree(text)


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("*.yaml")), ids=lambda path: path.name)
def test_every_fixture_reads_the_same_with_either_composer(fixture):
    """Each bad-*.yaml's YAML-level problem (syntax, tabs, tags, duplicates, ...) is worded and
    placed as before, whichever composer ran."""
    raw = fixture.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: refused before composing")
    assert_composers_agree(text)


@needs_libyaml
def test_manifests_are_composed_by_libyaml():
    for fixture in FIXTURES.glob("good-*.yaml"):
        assert yamlload._compose_fast(fixture.read_text()) is not None, fixture


@needs_libyaml
def test_a_tab_may_separate_but_never_indent():
    """YAML allows a tab between a key and its value; libyaml reads it (PyYAML alone did not)."""
    document, problems = parse_text("m.yaml", "a:\t1\nb: x\t\n")
    assert (document.data, problems) == ({"a": 1, "b": "x"}, [])
    _, problems = parse_text("m.yaml", "a:\n\tb: 1\n")
    assert [(p.line, p.column) for p in problems] == [(2, 1)] and "a tab character" in problems[0].message
