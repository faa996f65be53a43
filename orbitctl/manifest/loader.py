"""``load_manifests``: files and folders in, one checked :class:`Desired` out (or every problem)."""

from __future__ import annotations

import gc
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from orbitctl.manifest.build import build_desired
from orbitctl.manifest.document import Document
from orbitctl.manifest.merge import merge
from orbitctl.manifest.problems import ManifestError, Problem
from orbitctl.manifest.schema import check_structure, manifest_schema
from orbitctl.manifest.semantic import check_meaning
from orbitctl.manifest.variables import DEFAULT_KEY_VARIABLES, substitute
from orbitctl.manifest.yamlload import read_document
from orbitctl.model import Desired
from orbitctl.planfile import FILE_KIND as PLAN_FILE_KIND

MANIFEST_SUFFIXES = (".yaml", ".yml")


def load_manifests(
    paths: Sequence[str | os.PathLike],
    environ: Mapping[str, str] | None = None,
    *,
    key_variables: Collection[str] = DEFAULT_KEY_VARIABLES,
) -> Desired:
    """Load, check and merge the manifests at ``paths`` (files, or folders of ``*.yaml``/``*.yml``).

    ``${VAR}`` is replaced from ``environ`` (default: ``os.environ``); the variables named in
    ``key_variables`` hold API keys, which no manifest may substitute. Raises
    :class:`ManifestError` with every problem found.
    """
    with _without_collection_pauses():
        return _load(paths, os.environ if environ is None else environ, key_variables)


@contextmanager
def _without_collection_pauses() -> Iterator[None]:
    """Loading makes hundreds of thousands of objects and no garbage worth collecting; with the
    cycle collector on, it would walk them all again and again (two thirds of the time for a
    10,000-entry manifest). Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load(paths: Sequence[str | os.PathLike], environ: Mapping[str, str], key_variables: Collection[str]) -> Desired:
    report = _Report()
    files = _manifest_files(paths, report)
    documents: list[Document] = []
    for file in files:
        document, problems = read_document(file)
        if document.data is None and problems and _starts_like_a_plan_file(file):
            message = ("this looks like a plan saved by 'orbitctl plan --out' that was cut short or "
                       "damaged (allowed: a manifest, or a whole saved plan for 'orbitctl apply FILE'; "
                       "make a new plan with 'orbitctl plan --out FILE')")
            problems = [Problem(str(file), 1, 1, "", message)]
        report.add(problems)
        if document.data is None and problems:
            continue
        if not isinstance(document.data, dict):
            keys = ", ".join(manifest_schema()["properties"])
            message = f"the top level is not a mapping (allowed: a mapping with the keys {keys})"
            report.add([document.problem((), message)])
            continue
        if document.data.get("kind") == PLAN_FILE_KIND:
            message = ("this is a plan saved by 'orbitctl plan --out', not a manifest "
                       "(allowed: a manifest; show a saved plan with 'orbitctl show FILE', carry it "
                       "out with 'orbitctl apply FILE')")
            report.add([document.problem((), message)])
            continue
        report.add(substitute(document, environ, key_variables=key_variables))
        report.add(check_structure(document))
        documents.append(document)
    merged, problems = merge(documents, rejected=report.reported)
    report.add(problems)
    report.add(check_meaning(merged))
    if report.problems:
        order = {str(file): index for index, file in enumerate(files)}
        raise ManifestError(
            sorted(report.problems, key=lambda p: (order.get(p.file, -1), p.line, p.column, p.path))
        )
    return build_desired(merged)


def _manifest_files(paths: Sequence[str | os.PathLike], report: _Report) -> list[Path]:
    if not paths:
        message = "no manifest given (allowed: one or more files or folders)"
        report.add([Problem("orbitctl", 1, 1, "", message)])
    files: dict[Path, Path] = {}
    for given in map(Path, paths):
        if not given.is_dir():
            files.setdefault(Path(os.path.realpath(given)), given)  # no error for a symlink loop
            continue
        try:
            found = sorted(
                child for child in given.iterdir()
                if child.suffix in MANIFEST_SUFFIXES and not child.name.startswith(".")
                and (child.is_file() or child.is_symlink())  # a broken or looping link is reported
            )
        except OSError as error:
            reason = error.strerror or str(error)
            message = f"cannot read the folder: {reason} (allowed: a readable folder)"
            report.add([Problem(str(given), 1, 1, "", message)])
            continue
        if not found:
            report.add([Problem(str(given), 1, 1, "", "the folder holds no manifests "
                                "(allowed: a folder with *.yaml or *.yml files)")])
        for child in found:
            files.setdefault(Path(os.path.realpath(child)), child)
    return list(files.values())


def _starts_like_a_plan_file(path: Path) -> bool:
    """Whether ``path`` begins as ``plan --out`` writes a plan: ``{`` then ``"kind": "orbitctl-plan"``."""
    try:
        with path.open("rb") as stream:
            head = stream.read(200)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and f'"kind": "{PLAN_FILE_KIND}"'.encode() in head


class _Report:
    """Problems in the order the stages find them; a later stage's problem about a value an
    earlier stage already reported is dropped (one message per mistake)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        #: (file, dotted path) of every value a problem was reported about
        self.reported: set[tuple[str, str]] = set()

    def add(self, problems: list[Problem]) -> None:
        fresh = [p for p in problems if not p.path or (p.file, p.path) not in self.reported]
        self.problems.extend(fresh)
        self.reported.update((p.file, p.path) for p in fresh)
