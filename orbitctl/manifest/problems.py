"""What a manifest can get wrong: one :class:`Problem` per mistake, all of them in one error."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from orbitctl.errors import OrbitctlError


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a manifest, at a place in a file.

    ``path`` is the dotted key path (``numbers.support-main.area_code``, list items as
    ``tags[2]``); it is ``""`` for a problem with the file as a whole. ``line`` and ``column`` are
    1-based. ``message`` says what is wrong and, in parentheses, what is allowed. ``suggestion`` is
    what was most likely meant, as it would be written (``label`` for ``labl``), when something
    is close; the message says it too (``..., did you mean 'label'? (allowed: ...)``).
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    suggestion: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


class ManifestError(OrbitctlError):
    """The manifests are not valid. ``problems`` holds every problem found (each once, in the
    order given)."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(dict.fromkeys(problems))
        super().__init__("\n".join(str(problem) for problem in self.problems))
