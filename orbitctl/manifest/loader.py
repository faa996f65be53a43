"""``load_manifests``: files and folders in, one checked :class:`Desired` out (or every problem);
``load_stacks``: files and folders of several stacks in, one loaded stack each."""

from __future__ import annotations

import gc
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orbitctl.manifest import accounts
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
    require_credentials: bool = False,
) -> Desired:
    """Load, check and merge the manifests at ``paths`` (files, or folders of ``*.yaml``/``*.yml``)
    into one stack.

    ``${VAR}`` is replaced from ``environ`` (default: ``os.environ``); the variables named in
    ``key_variables``, and every ``account.api_key_env`` of the manifests, hold API keys, which no
    manifest may substitute. With ``require_credentials`` (plan, apply), a key variable that
    ``account:`` names must be set. Raises :class:`ManifestError` with every problem found.
    """
    with _without_collection_pauses():
        report = _Report()
        files = _manifest_files(paths, report)
        documents = _read(files, report)
        rules = _Rules(os.environ if environ is None else environ, key_variables, require_credentials, documents)
        return _checked(files, documents, report, rules)


@dataclass(frozen=True)
class StackManifests:
    """The manifests of one stack of a run (``load_stacks``): what was given for it, and the
    stack they make, or why they make none."""

    #: the files and folders given for this stack, as given
    paths: tuple[str, ...]
    #: the stack the manifests name (None when none of them could be read far enough to say)
    stack: str | None
    desired: Desired | None = None
    error: ManifestError | None = None

    @property
    def name(self) -> str:
        """The stack, or where its manifests are when they name none."""
        return self.stack or ", ".join(self.paths)


def load_stacks(
    paths: Sequence[str | os.PathLike],
    environ: Mapping[str, str] | None = None,
    *,
    key_variables: Collection[str] = DEFAULT_KEY_VARIABLES,
    require_credentials: bool = False,
) -> list[StackManifests]:
    """The stacks of ``paths``, each loaded as ``load_manifests`` loads one, in the order given.

    Each folder, and each file given on its own, is read for the stack its manifests name; those
    naming the same stack are merged into it (as ``load_manifests`` merges them), those naming
    different stacks are different stacks; with a single stack named, what names none (a file
    that cannot be read, one without ``stack:``) is that stack's, so that its problems are that
    stack's as with ``load_manifests``. A folder holds one stack's manifests: a second stack in it
    is an error. A stack whose manifests have problems carries them (``error``) and does
    not stop the others from loading. The key variables are those of every stack of the run."""
    with _without_collection_pauses():
        environ = os.environ if environ is None else environ
        units = []
        seen: set[Path] = set()
        for given in paths:
            report = _Report()
            files = [file for file in _manifest_files([given], report) if _first_time(file, seen)]
            if files or report.problems:  # not a folder or file given again
                units.append((str(given), files, report, _read(files, report)))
        every_document = [document for *_, documents in units for document in documents]
        rules = _Rules(environ, key_variables, require_credentials, every_document)
        groups: dict[object, list] = {}
        for index, unit in enumerate(units):
            stack = next((d.data["stack"] for d in unit[3] if isinstance(d.data.get("stack"), str)), None)
            groups.setdefault(stack if stack is not None else index, []).append(unit)
        named = [key for key in groups if isinstance(key, str)]
        if len(named) == 1:  # what names no stack (unreadable, no stack:) is the one stack's, as it always was
            groups = {named[0]: [unit for group in groups.values() for unit in group]}
        stacks = [_stack_of(group, rules) for group in groups.values()]
        return _with_each_stack_once(stacks)


def _first_time(file: Path, seen: set[Path]) -> bool:
    """Whether ``file`` is met for the first time in the run (a file given twice is read once)."""
    real = Path(os.path.realpath(file))
    if real in seen:
        return False
    seen.add(real)
    return True


def _stack_of(units: list, rules: _Rules) -> StackManifests:
    """Load the units (folders or files, read already) that name one stack."""
    given = tuple(unit[0] for unit in units)
    files = [file for unit in units for file in unit[1]]
    documents = [document for unit in units for document in unit[3]]
    report = _Report()
    for unit in units:
        report.add(unit[2].problems)
    declared = next((d.data["stack"] for d in documents if isinstance(d.data.get("stack"), str)), None)
    try:
        return StackManifests(given, declared, desired=_checked(files, documents, report, rules))
    except ManifestError as error:
        return StackManifests(given, declared, error=error)


def _with_each_stack_once(stacks: list[StackManifests]) -> list[StackManifests]:
    """``stacks``, a second stack of a name already loaded (``stack: ${VAR}`` naming it) refused."""
    first: dict[str, StackManifests] = {}
    checked = []
    for stack in stacks:
        desired = stack.desired
        if desired is not None and desired.stack in first:
            message = (f"stack {desired.stack!r} is also given as {', '.join(first[desired.stack].paths)} "
                       "(allowed: each stack once in a run)")
            problem = Problem(stack.paths[0], 1, 1, "stack", message)
            stack = StackManifests(stack.paths, desired.stack, error=ManifestError([problem]))
        elif desired is not None:
            first[desired.stack] = stack
        checked.append(stack)
    return checked


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


class _Rules:
    """What the checks after reading need of the run: the environment, the key variables (the
    given ones and every ``account.api_key_env`` of the run's documents), whether the
    credentials must be set."""

    def __init__(self, environ: Mapping[str, str], key_variables: Collection[str], require_credentials: bool,
                 documents: list[Document]):
        self.environ = environ
        self.key_variables = {*key_variables, *accounts.key_variables(documents)}
        self.require_credentials = require_credentials


def _read(files: list[Path], report: _Report) -> list[Document]:
    """The documents of ``files`` whose top level is a manifest's mapping; problems into ``report``."""
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
        documents.append(document)
    return documents


def _checked(files: list[Path], documents: list[Document], report: _Report, rules: _Rules) -> Desired:
    """Substitute, check and merge ``documents`` (read from ``files``) into one Desired, or raise
    ManifestError with the problems of ``report`` and those found now."""
    for document in documents:
        report.add(substitute(document, rules.environ, key_variables=rules.key_variables))
        report.add(accounts.check_names(document))
        report.add(check_structure(document))
    merged, problems = merge(documents, rejected=report.reported)
    report.add(problems)
    report.add(check_meaning(merged))
    if rules.require_credentials and not report.problems:
        report.add(accounts.check_set(merged, rules.environ))
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
