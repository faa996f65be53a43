"""The user's guide cannot drift: the manifest reference is what the schema generates, the
getting-started page runs as written, the CI recipes use the action as it is, links resolve."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from orbitctl.cli import cli
from orbitctl.manifest.reference import REGENERATE, reference

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())

#: Phone numbers the sandbox hands out depend on the order concurrent purchases land in: the
#: pages show real ones, the comparison treats any E.164 number as the same.
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def test_manifest_reference_is_what_the_schema_generates():
    page = (DOCS / "manifest-reference.md").read_text(encoding="utf-8")
    assert page == reference(), f"docs/manifest-reference.md is stale: run {REGENERATE}"


def test_reference_names_every_key_of_the_schema():
    from orbitctl.manifest.schema import manifest_schema

    schema, page = manifest_schema(), reference()
    keys = [*schema["properties"], *schema["$defs"]["entry"]["properties"]]
    keys += list(schema["$defs"]["lifecycle"]["properties"])
    for key in keys:
        assert f"| `{key}`" in page, key


# --- getting started, executed ----------------------------------------------------------------


def steps(page: str):
    """("file", name, text) for a yaml block after ``<!-- file: NAME -->``; ("run", command,
    expected lines) for each ``$ command`` of a console block; ("clock", days) for a
    ``<!-- sandbox clock: +N days -->`` (the sandbox's clock moves on N days there)."""
    lines = page.splitlines()
    index, pending_file = 0, None
    while index < len(lines):
        line = lines[index]
        match = re.fullmatch(r"<!-- file: (\S+) -->", line.strip())
        clock = re.fullmatch(r"<!-- sandbox clock: \+(\d+) days -->", line.strip())
        if match:
            pending_file = match.group(1)
        elif clock:
            yield ("clock", int(clock.group(1)))
        elif line.startswith("```"):
            info = line[3:].strip()
            end = lines.index("```", index + 1)
            body = lines[index + 1 : end]
            if pending_file and info == "yaml":
                yield ("file", pending_file, "\n".join(body) + "\n")
            elif info == "console":
                command, expected = None, []
                for text in body:
                    if text.startswith("$ "):
                        if command:
                            yield ("run", command, expected)
                        command, expected = text[2:], []
                    elif text.strip():
                        expected.append(text.rstrip())
                if command:
                    yield ("run", command, expected)
            pending_file = None
            index = end
        index += 1


#: Inventory ids (``num_...``) are random; the comparison treats any id as the same.
_NUMBER_ID = re.compile(r"\bnum_[0-9a-f]+\b")
#: A line of a console block that stands for output the page leaves out.
ELIDED = "…"


def _normalized(line: str) -> str:
    return _NUMBER_ID.sub("num_ID", _E164.sub("+N", line.rstrip()))


def _find(segment: list[str], lines: list[str], start: int) -> int:
    """The first position from ``start`` where ``segment`` is a run of ``lines``, or -1."""
    for position in range(start, len(lines) - len(segment) + 1):
        if lines[position : position + len(segment)] == segment:
            return position
    return -1


def assert_output_is_shown(expected: list[str], output: str, command: str) -> None:
    """The page's lines are the output's non-blank lines, one after the other, from the first to
    the last; a line ``…`` stands for any lines (or none)."""
    lines = [_normalized(line) for line in output.splitlines() if line.strip()]
    segments, current = [], []
    for line in expected:
        if line.strip() == ELIDED:
            segments.append(current)
            current = []
        else:
            current.append(_normalized(line))
    segments.append(current)
    failure = f"`{command}` did not print what the page shows:\n{output}"
    if len(segments) == 1:
        assert lines == segments[0], failure
        return
    first, *middle, last = segments
    assert lines[: len(first)] == first, failure
    position = len(first)
    for segment in middle:
        found = _find(segment, lines, position)
        assert found >= 0, failure
        position = found + len(segment)
    assert len(lines) - len(last) >= position and lines[len(lines) - len(last) :] == last, failure


def test_an_output_shown_with_a_line_left_out_must_say_so():
    output = "one\n\ntwo\nthree\n"
    assert_output_is_shown(["one", "two", "three"], output, "x")
    assert_output_is_shown(["one", "…", "three"], output, "x")
    assert_output_is_shown(["…", "two", "…"], output, "x")
    for shown in (["one", "three"], ["two", "three"], ["one", "two"], ["one", "…", "two"]):
        with pytest.raises(AssertionError):
            assert_output_is_shown(shown, output, "x")


def run_page(page: str, folder: Path, monkeypatch) -> int:
    """Carry out the steps of the docs page ``page`` in ``folder``, checking each command prints
    what the page shows; how many orbitctl commands ran. ``$ export NAME=VALUE`` sets a variable;
    the sandbox's clock stands at 2026-03-08T12:00:00Z when the page moves it at all."""
    from datetime import UTC, datetime, timedelta

    import orbitctl.sandbox.app

    monkeypatch.chdir(folder)
    monkeypatch.setenv("NO_COLOR", "1")
    runner, last_exit, ran = CliRunner(), None, 0
    page_steps = list(steps((DOCS / page).read_text(encoding="utf-8")))
    now = [datetime(2026, 3, 8, 12, tzinfo=UTC)]
    if any(step[0] == "clock" for step in page_steps):
        monkeypatch.setattr(orbitctl.sandbox.app, "_utc_now", lambda: now[0])
    for step in page_steps:
        if step[0] == "file":
            (folder / step[1]).write_text(step[2], encoding="utf-8")
            continue
        if step[0] == "clock":
            now[0] += timedelta(days=step[1])
            continue
        _, command, expected = step
        if command == "echo $?":
            assert expected == [str(last_exit)], f"the page says exit {expected}, it was {last_exit}"
            continue
        words = shlex.split(command)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            monkeypatch.setenv(name, value)
            continue
        assert words[0] == "orbitctl", command
        result = runner.invoke(cli, words[1:], prog_name="orbitctl", catch_exceptions=False)
        last_exit, ran = result.exit_code, ran + 1
        assert_output_is_shown(expected, result.output, command)
    return ran


def test_getting_started_runs_as_written(tmp_path, monkeypatch):
    assert run_page("getting-started.md", tmp_path, monkeypatch) >= 8
    assert (tmp_path / ".orbitctl" / "sandbox.json").exists()


def test_porting_runs_as_written(tmp_path, monkeypatch):
    """Port, wait (the port in progress is no change), adopt, converge: on the sandbox's clock."""
    assert run_page("porting.md", tmp_path, monkeypatch) >= 6
    assert (DOCS / "porting.md").read_text().count("<!-- sandbox clock:") == 2
    # the page's manifest is examples/porting.yaml (without its comments)
    shown = yaml.safe_load((tmp_path / "numbers.yaml").read_text())
    assert shown == yaml.safe_load((ROOT / "examples" / "porting.yaml").read_text())


# --- the README -------------------------------------------------------------------------------


def readme_commands() -> list[str]:
    """The commands of the README's first code block (its comments left out)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_opens_with_the_sandbox_apply_and_the_test_command_ci_runs():
    setup_and_apply, setup_and_test = readme_commands()
    assert setup_and_apply.startswith("python3 -m venv .venv && .venv/bin/pip install -q -e . && ")
    assert setup_and_test == (
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"
    )
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]'\n" in ci and ci.rstrip().endswith("\n.venv/bin/python -m pytest")


def test_readme_sandbox_commands_converge(tmp_path, monkeypatch):
    """The first command after its install: apply the example, then a plan with no changes."""
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "numbers.yaml").write_text((ROOT / "examples" / "numbers.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    commands = readme_commands()[0].split(" && ")[2:]
    assert [command.split()[:3] for command in commands] == [
        [".venv/bin/orbitctl", "--sandbox", "apply"], [".venv/bin/orbitctl", "--sandbox", "plan"]
    ]
    for command in commands:
        result = CliRunner().invoke(cli, shlex.split(command)[1:], prog_name="orbitctl", catch_exceptions=False)
        assert result.exit_code == 0, f"{command}\n{result.output}"
    assert "No changes." in result.output


@pytest.mark.parametrize("page", ["README.md", "docs/index.md"])
def test_command_tables_name_only_options_the_commands_have(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    rows = re.findall(r"^\| `orbitctl ([a-z ]+?)(?: [A-Z\[].*?)?` \|", text, flags=re.MULTILINE)
    assert {"validate", "plan", "apply", "export", "sandbox serve"} <= {row.strip() for row in rows}
    for row in re.findall(r"^\| `orbitctl (.+?)` \|", text, flags=re.MULTILINE):
        words = row.split()
        command = cli.commands.get(words[0])
        if command is None:
            continue  # `orbitctl --version`
        if isinstance(command, click.Group):
            # `port [submit] NUMBER…`: a subcommand that may be left out
            command = command.commands[words[1].strip("[]")]
        known = {option for param in command.params for option in param.opts}
        for option in re.findall(r"--[a-z-]+", row):
            assert option in known, f"{page}: `orbitctl {row}` names {option}, which {command.name} does not have"


# --- CI recipes and pages ---------------------------------------------------------------------


RECIPES = {"validate.yml": "validate", "plan.yml": "plan", "apply.yml": "apply-reviewed", "drift.yml": "drift"}


def recipe(name: str) -> dict:
    return yaml.safe_load((DOCS / "ci" / name).read_text())


def action_inputs(name: str) -> dict:
    (step,) = [step for job in recipe(name)["jobs"].values() for step in job["steps"]
               if "orbitctl" in str(step.get("uses", ""))]
    return step.get("with", {})


#: The same four for a repository of several stacks (tests/cli/test_action_stacks.py checks them).
STACK_RECIPES = [f"stacks-{name}" for name in RECIPES]


def test_the_ci_folder_holds_the_four_recipes_and_those_for_several_stacks():
    assert sorted(path.name for path in (DOCS / "ci").iterdir()) == sorted([*RECIPES, *STACK_RECIPES])
    page = (DOCS / "ci.md").read_text(encoding="utf-8")
    for name in [*RECIPES, *STACK_RECIPES]:
        assert f"[`docs/ci/{name}`](ci/{name})" in page


@pytest.mark.parametrize(("name", "mode"), RECIPES.items())
def test_ci_recipes_use_the_action_with_inputs_it_has(name, mode):
    inputs = action_inputs(name)
    assert set(inputs) <= set(ACTION["inputs"])
    assert inputs["mode"] == mode and inputs["stack"] == "prod"
    for job in recipe(name)["jobs"].values():
        if mode == "validate":  # offline: no secret, so pull requests from forks get it too
            assert "secrets." not in (DOCS / "ci" / name).read_text()
        else:
            assert job["env"]["ORBIT_API_KEY"] == "${{ secrets.ORBIT_API_KEY }}"


def test_only_the_apply_workflow_is_in_the_stacks_uncancelled_group():
    """GitHub cancels the pending run of a group when another queues: a drift check or a plan in
    the apply's group could cancel a waiting apply."""
    assert recipe("apply.yml")["concurrency"] == {"group": "orbitctl-prod", "cancel-in-progress": False}
    assert recipe("drift.yml")["concurrency"] == {"group": "orbitctl-drift-prod", "cancel-in-progress": False}
    for name in RECIPES:
        if name != "apply.yml":
            assert recipe(name).get("concurrency", {}).get("group") != "orbitctl-prod"


def test_the_plan_uploads_the_reviewed_plan_and_warns_with_the_applys_gates():
    plan, apply = action_inputs("plan.yml"), action_inputs("apply.yml")
    assert plan["upload-plan"] == "true" and int(plan["plan-retention-days"]) <= 7
    gates = ("allow-release", "force", "max-release-percent")
    assert {key: plan.get(key) for key in gates} == {key: apply.get(key) for key in gates}
    assert apply["manifests"] == plan["manifests"]
    assert "workflow_dispatch" in recipe("plan.yml")[True]  # re-planning by hand ("on" loads as True)


def test_the_recipes_find_each_other_by_the_file_names_the_page_gives_them():
    page = (DOCS / "ci.md").read_text(encoding="utf-8")
    assert "| `.github/workflows/orbitctl-plan.yml` |" in page
    assert "| `.github/workflows/orbitctl-apply.yml` |" in page
    assert ACTION["inputs"]["plan-workflow"]["default"] == "orbitctl-plan.yml"
    assert ACTION["inputs"]["apply-workflow"]["default"] == "orbitctl-apply.yml"
    assert action_inputs("drift.yml").get("apply-workflow", "orbitctl-apply.yml") == "orbitctl-apply.yml"


@pytest.mark.parametrize(
    ("name", "needed"),
    [
        ("validate.yml", {"contents": "read"}),
        ("plan.yml", {"contents": "read", "pull-requests": "write", "actions": "read"}),
        ("apply.yml", {"contents": "read", "pull-requests": "write", "actions": "read"}),
        ("drift.yml", {"contents": "read", "actions": "read"}),
    ],
)
def test_ci_recipes_grant_the_token_what_their_mode_needs_and_no_more(name, needed):
    assert recipe(name)["permissions"] == needed


def test_links_between_pages_resolve():
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_the_index_links_every_page():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in DOCS.glob("*.md"):
        if page.name != "index.md":
            assert f"({page.name})" in index, page.name


def test_drift_page_shows_what_the_report_script_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("drift_report", ROOT / "scripts" / "drift-report.py")
    drift_report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drift_report)
    plan = {
        "stack": "prod",
        "drift": {"managed": 212, "unmanaged": 30, "foreign": 8, "total": 250, "changed": 2,
                  "managed_share": "0.8480"},
        "actions": [
            {"action": "update", "name": "support-main", "number": "+14155550100",
             "changes": {"label": {"before": "Support (old)", "after": "Main Support Line"}}},
            {"action": "purchase", "name": "sms-pool", "number": None, "changes": {},
             "reason": "pool 'sms-pool' wants 5"},
        ],
    }
    page = (DOCS / "drift.md").read_text(encoding="utf-8")
    shown = page.split("```markdown\n", 1)[1].split("```", 1)[0]
    assert shown == drift_report.markdown(plan)


def test_shell_completion_works_as_documented():
    page = (DOCS / "shell-completion.md").read_text(encoding="utf-8")
    assert "_ORBITCTL_COMPLETE=bash_source orbitctl" in page
    import subprocess
    import sys

    orbitctl = Path(sys.executable).parent / "orbitctl"
    env = {"_ORBITCTL_COMPLETE": "bash_complete", "COMP_WORDS": "orbitctl plan --output j", "COMP_CWORD": "3"}
    done = subprocess.run([str(orbitctl)], env=env, capture_output=True, text=True, timeout=30)
    assert done.stdout.split() == ["plain,json"]
    env["_ORBITCTL_COMPLETE"] = "bash_source"
    script = subprocess.run([str(orbitctl)], env=env, capture_output=True, text=True, timeout=30)
    assert "complete -o nosort -F _orbitctl_completion orbitctl" in script.stdout
