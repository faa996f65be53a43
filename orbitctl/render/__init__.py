"""Renderings of a Plan: text (Terraform-like), JSON (``schemas/plan.schema.json``), markdown.

Every rendering masks secrets the same way (``orbitctl.values``). The ``render_*`` functions of the
submodules return a string without a trailing newline; :func:`render` adds it.

May import: ``orbitctl.model``, ``orbitctl.frozen``, ``orbitctl.values``. Never ``account``,
``apply``, ``manifest`` or the CLI.
"""

from __future__ import annotations

import os
from typing import IO

from orbitctl.model import Plan
from orbitctl.render.markdown import render_plan_markdown
from orbitctl.render.plan_json import render_plan_json
from orbitctl.render.text import render_plan

#: The values of ``plan --output``.
OUTPUT_FORMATS = ("text", "json", "markdown")

#: The values of ``orbitctl --color``.
COLOR_MODES = ("auto", "always", "never")


def forced_color(mode: str = "auto") -> bool | None:
    """Whether to colour whatever the stream is, or None when that depends on the stream:
    ``--color always``/``never`` decide; with ``auto``, ``NO_COLOR`` set to a non-empty value
    (https://no-color.org) turns colour off, else ``FORCE_COLOR`` set to a non-empty value
    (https://force-color.org) turns it on."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return None


def should_color(stream: IO | None, mode: str = "auto") -> bool:
    """Whether to colour output written to ``stream``: as :func:`forced_color` says, else only a
    terminal, and never with ``TERM=dumb``."""
    forced = forced_color(mode)
    if forced is not None:
        return forced
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def render(
    plan: Plan, output: str, *, stream: IO | None = None, color: bool | None = None, detailed: bool = False
) -> str:
    """The plan in ``output`` format (one of ``OUTPUT_FORMATS``), ending with a newline, ready to
    write to ``stream``. Text is coloured when ``color``; when ``color`` is None, when
    :func:`should_color` says so for ``stream``. Text and markdown show a block per pool and kind
    of action, or with ``detailed`` one per action (as JSON always does)."""
    if output == "text":
        use_color = should_color(stream) if color is None else color
        return render_plan(plan, color=use_color, detailed=detailed) + "\n"
    if output == "json":
        return render_plan_json(plan) + "\n"
    if output == "markdown":
        return render_plan_markdown(plan, detailed=detailed) + "\n"
    raise ValueError(f"unknown output format {output!r}; expected one of {', '.join(OUTPUT_FORMATS)}")
