"""The YAML reader: YAML 1.2 core scalars, keys as written, marks, and hostile input refused."""

from __future__ import annotations

import pytest

from orbitctl.manifest.yamlload import MAX_DEPTH, MAX_VALUES, parse_text, read_document


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
