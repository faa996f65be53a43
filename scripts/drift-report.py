#!/usr/bin/env python3
"""A driftctl-style drift report from `orbitctl plan --output json` (standard library only).

    drift-report.py PLAN.json           markdown for a job summary
    drift-report.py --brief PLAN.json   one line per drifted number, for the log

Values are shown as the plan carries them (secrets already masked by orbitctl).
"""

from __future__ import annotations

import html
import json
import sys

SYMBOLS = {
    "purchase": "+",
    "adopt": "+",
    "update": "~",
    "replace": "-/+",
    "release": "-",
    "orphan": "~",
    "move": "~",
}
#: Rows listed in the summary; the rest are counted.
MAX_ROWS = 200
MAX_VALUE = 60


def cell(text: object) -> str:
    """Text safe in a markdown table cell."""
    return html.escape(str(text), quote=False).replace("|", "&#124;").replace("\n", " ").replace("`", "&#96;")


def shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def what(action: dict) -> str:
    changes = action.get("changes") or {}
    parts = [f"{key}: {shown(c.get('before'))} → {shown(c.get('after'))}" for key, c in changes.items()]
    if action.get("reason"):
        parts.append(str(action["reason"]))
    if action.get("previous_name"):
        parts.append(f"from {action['previous_name']}")
    return "; ".join(parts)


def share(drift: dict) -> str:
    value = drift.get("managed_share")
    return "n/a" if value is None else f"{float(value) * 100:.1f}%"


def markdown(plan: dict) -> str:
    drift, actions = plan["drift"], plan["actions"]
    stack = cell(plan["stack"])
    lines = [f"### orbitctl drift report for stack <code>{stack}</code>", ""]
    if actions:
        lines.append(f"**Drift: {len(actions)} action{'s' * (len(actions) != 1)} would bring the account "
                     "back to the manifests.**")
    else:
        lines.append("**No drift: the account matches the manifests.**")
    lines += [
        "",
        "| Numbers on the account | Count |",
        "| --- | ---: |",
        f"| managed by stack {stack} | {drift['managed']} |",
        f"| unmanaged (no orbitctl tag) | {drift['unmanaged']} |",
        f"| managed by other stacks | {drift['foreign']} |",
        f"| total | {drift['total']} |",
        f"| share under management | {share(drift)} |",
        f"| changed (drifted numbers) | {drift['changed']} |",
    ]
    if actions:
        lines += ["", "| | Action | Name | Number | What |", "| --- | --- | --- | --- | --- |"]
        for action in actions[:MAX_ROWS]:
            kind = action["action"]
            lines.append(
                f"| {cell(SYMBOLS.get(kind, '?'))} | {cell(kind)} | {cell(action['name'])} | "
                f"{cell(action.get('number') or '')} | {cell(what(action))} |"
            )
        if len(actions) > MAX_ROWS:
            lines.append(f"\n…and {len(actions) - MAX_ROWS} more (see the plan JSON).")
    return "\n".join(lines) + "\n"


def brief(plan: dict) -> str:
    drift = plan["drift"]
    lines = [
        f"stack {plan['stack']}: {drift['managed']} managed, {drift['unmanaged']} unmanaged, "
        f"{drift['foreign']} of other stacks, {share(drift)} under management, "
        f"{len(plan['actions'])} to change"
    ]
    for action in plan["actions"]:
        keys = ", ".join(action.get("changes") or {})
        lines.append(
            f"  {SYMBOLS.get(action['action'], '?')} {action['action']} {action['name']} "
            f"{action.get('number') or ''}{': ' + keys if keys else ''}".rstrip()
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    args = [arg for arg in argv if arg != "--brief"]
    if len(args) != 1:
        print("usage: drift-report.py [--brief] PLAN.json", file=sys.stderr)
        return 1
    try:
        with open(args[0], encoding="utf-8") as stream:
            plan = json.load(stream)
        text = brief(plan) if "--brief" in argv else markdown(plan)
    except (OSError, ValueError, KeyError, TypeError) as problem:
        print(f"drift-report: {args[0]} is not an orbitctl plan JSON: {problem}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
