"""Every ``tests/manifests/bad-*.yaml`` is one mistake: the loader reports exactly one problem, at
the line and key path written in the fixture's first line (``# expect: LINE [KEY.PATH] | TEXT``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orbitctl.manifest import ManifestError, load_manifests

FIXTURES = sorted((Path(__file__).parents[1] / "manifests").glob("bad-*.yaml"))
EXPECT = re.compile(r"# expect: (\d+)(?: ([^|\s]+))?(?: \| (.+))?")


def expectation(fixture: Path) -> tuple[int, str, str]:
    """(line, key path, text the message must contain), from the fixture's first line."""
    first_line = fixture.read_bytes().split(b"\n", 1)[0].decode()
    match = EXPECT.fullmatch(first_line)
    assert match, f"{fixture.name} has no '# expect: LINE [PATH] | TEXT' first line"
    return int(match.group(1)), match.group(2) or "", match.group(3) or ""


def test_there_is_a_bad_fixture_for_each_of_at_least_30_cases():
    assert len(FIXTURES) >= 30


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: path.stem)
def test_bad_fixture_reports_one_problem_at_its_line_and_key(fixture):
    line, path, text = expectation(fixture)
    with pytest.raises(ManifestError) as caught:
        load_manifests([fixture], environ={})
    problems = caught.value.problems
    assert len(problems) == 1, "\n".join(map(str, problems))
    (problem,) = problems
    assert (problem.file, problem.line, problem.path) == (str(fixture), line, path), str(problem)
    assert text in problem.message
    # every message says what is allowed, in parentheses at the end
    assert re.search(r"\((allowed|required): .+\)$", problem.message), problem.message
    assert str(problem).startswith(f"{fixture}:{line}:{problem.column}: ")
