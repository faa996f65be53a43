"""Errors a user can cause. The CLI prints them (no traceback) and exits 1."""

from __future__ import annotations


class OrbitctlError(Exception):
    """A failure to report to the user as it is: its message says what is wrong and what to do."""


class PlanError(OrbitctlError):
    """The plan cannot be made (foreign-stack pin, prevent_release, nothing available, ...).

    ``problems`` lists every reason, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = list(problems)
