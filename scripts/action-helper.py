#!/usr/bin/env python3
"""The action's checks that need orbitctl itself (run with the Python orbitctl is installed in).

    action-helper.py stack STACK MANIFEST...
        Exit 1 with an ::error:: when the manifests' stack is not STACK, or they hold several
        stacks (one stack a job). Manifests that do not load pass: the orbitctl command that
        follows reports their problems.
    action-helper.py annotations < PROBLEMS.json
        `orbitctl validate --output json` as ::error file=,line=,col=:: workflow commands, the file
        relative to $GITHUB_WORKSPACE (where GitHub looks for it).
    action-helper.py warnings PLANFILE --allow-release B --force B [--max-release-percent N]
        Markdown saying why an apply with those inputs would refuse the saved plan (nothing when it
        would not), and one ::warning:: a reason on stderr. The gates are orbitctl's own.
    action-helper.py saved-plan PLANFILE STACK MANIFEST...
        Exit 1 with an ::error:: unless PLANFILE is a saved plan of stack STACK made from exactly
        MANIFEST... (apply PLANFILE applies the manifests the plan names, not the action's input).
    action-helper.py section FOLDER STACK EXITCODE COMMENT (--plan PLANFILE | --error ERRFILE)
        A stack's section of the comment plan-comment.py combines: FOLDER/STACK.md (the comment
        COMMENT) and FOLDER/STACK.json (the exit code, and the plan's summary line or the error's
        first line).
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def command_escape(text: str, *, property_value: bool = False) -> str:
    """Text safe in a workflow command (GitHub's escaping: %, CR, LF; in a property also : and ,)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def workspace_path(path: str) -> str:
    """``path`` (relative to the working directory) relative to the repository's root."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return path
    absolute = os.path.realpath(path)
    root = os.path.realpath(workspace)
    return os.path.relpath(absolute, root) if absolute.startswith(root + os.sep) else path


def annotations(problems: list[dict]) -> list[str]:
    lines = []
    for problem in problems:
        where = [f"file={command_escape(workspace_path(str(problem['file'])), property_value=True)}"]
        for key, name in (("line", "line"), ("column", "col")):
            if isinstance(problem.get(key), int):
                where.append(f"{name}={problem[key]}")
        subject = f"{problem['path']}: " if problem.get("path") else ""
        lines.append(f"::error {','.join(where)}::{command_escape(subject + str(problem['message']))}")
    return lines


def error(message: str) -> int:
    print(f"::error::orbitctl action: {command_escape(message)}", file=sys.stderr)
    return 1


def check_stack(stack: str, manifests: list[str]) -> int:
    from orbitctl.errors import OrbitctlError
    from orbitctl.manifest import load_stacks

    try:  # the stack check holds without the credentials (validate needs none)
        loaded = load_stacks(manifests, require_credentials=False)
    except OrbitctlError:
        return 0
    named = sorted({each.stack for each in loaded if each.stack})
    if len(named) > 1:
        return error(
            f"the manifests input holds the stacks {', '.join(named)}, but the action takes one stack a job (its "
            "concurrency group, journal and saved plan are the stack's): give each stack a matrix job of its own "
            "(see docs/ci.md, several stacks)"
        )
    desired = loaded[0].desired if len(loaded) == 1 else None
    if desired is None:
        return 0  # the orbitctl command that follows reports the manifests' problems
    if desired.stack != stack:
        return error(
            f"the manifests are stack {desired.stack}, but the stack input is {stack}; make them agree "
            "(the concurrency group must name the manifests' stack)"
        )
    return 0


def apply_refusals(plan_file: str, *, allow_release: bool, force: bool, max_release_percent: int | None) -> list[str]:
    """Why apply with these inputs would refuse the plan, one markdown sentence per input to set."""
    from orbitctl.apply import gates
    from orbitctl.planfile import load_plan

    plan = load_plan(plan_file)
    percent = gates.DEFAULT_MAX_RELEASE_PERCENT if max_release_percent is None else max_release_percent
    releasing = gates.releasing_actions(plan)

    def refused(**flags) -> bool:
        try:
            gates.check_release_gates(plan, **flags)
        except gates.GateError:
            return True
        return False

    reasons = []
    entries = list(dict.fromkeys(action.name for action in releasing))
    names = ", ".join(f"`{name}`" for name in entries[:5]) + (", …" if len(entries) > 5 else "")
    if refused(allow_release=allow_release, max_release_percent=percent, force=True):
        reasons.append(
            f"it releases or replaces {len(releasing)} number{'s' * (len(releasing) != 1)} (of {names}) and "
            '`allow-release` is `"false"`: set `allow-release: "true"` on the apply step (and on this plan '
            "step, which mirrors it) to allow it; a release cannot be undone"
        )
    if refused(allow_release=True, max_release_percent=percent, force=force):
        reasons.append(
            f"it releases {len(releasing)} of the {plan.managed} numbers stack `{plan.stack}` manages, more "
            f"than `max-release-percent` ({percent}%): check the manifests, then set `force: \"true\"` "
            "(or raise `max-release-percent`) on the apply step and on this plan step"
        )
    return reasons


def warnings(args: argparse.Namespace) -> int:
    from orbitctl.errors import OrbitctlError

    try:
        reasons = apply_refusals(
            args.plan_file,
            allow_release=args.allow_release == "true",
            force=args.force == "true",
            max_release_percent=args.max_release_percent,
        )
    except OrbitctlError as problem:
        return error(str(problem))
    if reasons:
        print("\n> [!WARNING]\n> **The apply on merge will refuse this plan** with these inputs:")
        for reason in reasons:
            print(f"> - {reason}.")
            print(f"::warning::orbitctl: the apply on merge will refuse this plan: {command_escape(reason)}",
                  file=sys.stderr)
    return 0


def check_saved_plan(plan_file: str, stack: str, manifests: list[str]) -> int:
    from orbitctl.errors import OrbitctlError
    from orbitctl.planfile import load_plan

    try:
        plan = load_plan(plan_file)
    except OrbitctlError as problem:
        return error(str(problem))
    if plan.stack != stack:
        return error(f"the reviewed plan is for stack {plan.stack}, but the stack input is {stack}")
    real = [os.path.realpath(path) for path in manifests]
    if [os.path.realpath(path) for path in plan.manifest_paths] != real:
        return error(
            f"the reviewed plan was made from {' '.join(plan.manifest_paths)}, but the manifests input is "
            f"{' '.join(manifests)}; give the plan and apply steps the same manifests and working-directory"
        )
    return 0


#: The longest error line a section's summary quotes.
_SUMMARY_CHARS = 200


def write_section(args: argparse.Namespace) -> int:
    from orbitctl.errors import OrbitctlError
    from orbitctl.planfile import load_plan
    from orbitctl.render.text import summary_line

    try:
        if args.plan:
            summary = summary_line(load_plan(args.plan))
        else:
            with open(args.error, encoding="utf-8", errors="replace") as errors:
                summary = next((line.strip() for line in errors if line.strip()), "")
            summary = summary.removeprefix("::error::").removeprefix("Error: ")
            if len(summary) > _SUMMARY_CHARS:
                summary = summary[: _SUMMARY_CHARS - 1] + "…"
        with open(args.comment, encoding="utf-8") as comment:
            body = comment.read()
    except (OSError, OrbitctlError) as problem:
        return error(f"cannot write the section of stack {args.stack}: {problem}")
    folder = os.path.join(args.folder, args.stack)
    with open(f"{folder}.md", "w", encoding="utf-8") as section:
        section.write(body)
    with open(f"{folder}.json", "w", encoding="utf-8") as meta:
        json.dump({"stack": args.stack, "exitcode": args.exitcode, "summary": summary}, meta)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="action-helper.py")
    commands = parser.add_subparsers(dest="command", required=True)
    stack = commands.add_parser("stack")
    stack.add_argument("stack")
    stack.add_argument("manifests", nargs="+")
    commands.add_parser("annotations")
    warn = commands.add_parser("warnings")
    warn.add_argument("plan_file")
    warn.add_argument("--allow-release", choices=("true", "false"), required=True)
    warn.add_argument("--force", choices=("true", "false"), required=True)
    warn.add_argument("--max-release-percent", type=int, default=None)
    saved = commands.add_parser("saved-plan")
    saved.add_argument("plan_file")
    saved.add_argument("stack")
    saved.add_argument("manifests", nargs="+")
    section = commands.add_parser("section")
    section.add_argument("folder")
    section.add_argument("stack")
    section.add_argument("exitcode", type=int)
    section.add_argument("comment")
    outcome = section.add_mutually_exclusive_group(required=True)
    outcome.add_argument("--plan")
    outcome.add_argument("--error")
    args = parser.parse_args(argv)

    if args.command == "stack":
        return check_stack(args.stack, args.manifests)
    if args.command == "annotations":
        try:
            problems = json.load(sys.stdin)
        except ValueError:
            return 0  # not validate's JSON (orbitctl failed before checking): nothing to annotate
        for line in annotations(problems if isinstance(problems, list) else []):
            print(line)
        return 0
    if args.command == "warnings":
        return warnings(args)
    if args.command == "section":
        return write_section(args)
    return check_saved_plan(args.plan_file, args.stack, args.manifests)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
