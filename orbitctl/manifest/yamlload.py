"""Read one YAML file into a :class:`Document`: safe, marked, strict.

- Only the YAML 1.2 core schema is resolved: ``true``/``false`` are booleans, ``yes``/``no``/``on``/
  ``off`` stay strings (``country: NO`` is Norway), dates stay strings.
- Mapping keys are taken as written (``1:`` is the key ``"1"``); a duplicate key is an error, and
  so is a YAML 1.1 merge key (``<<: *anchor``): ``defaults`` is the manifest's way to share keys.
- Tags other than the core ones (``!!binary``, ``!!timestamp``, ``!custom``, ...) are errors.
- Nothing raises: every problem is returned, with its line and column.

Composing is done by libyaml (PyYAML's C parser, about ten times faster) where PyYAML has it and
its libyaml limits nesting (0.2.6 and later), else by PyYAML's pure-Python composer; both give
every node its line and column. Where libyaml refuses a text, or would mark a value otherwise than
PyYAML does (an empty value in a flow mapping or after a ``? key``, a text with a U+FEFF), the pure
composer reads the text again: its messages and positions are the ones this module words, so an
error reads the same either way. libyaml reads a few texts PyYAML refuses, as YAML allows (a tab
between a key and its value); a tab that indents is refused by both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from orbitctl.manifest.document import Document, KeyPath, format_path
from orbitctl.manifest.problems import Problem

#: Aliases can make a small file expand into a huge one; more values than this reached again
#: through aliases (beyond the values written once) is refused.
MAX_VALUES = 100_000
#: A manifest file larger than this is refused (reading stops there: /dev/zero never ends).
MAX_BYTES = 64 * 2**20
#: A manifest is a few levels deep; far deeper data is refused before it can exhaust the stack.
MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
_WHAT_IS_ALLOWED = "allowed: plain YAML strings, numbers, true/false, null, lists and mappings"


class _CoreLoader(yaml.SafeLoader):
    """SafeLoader whose implicit types are those of the YAML 1.2 core schema."""

    # PyYAML keeps the resolvers per class (add_implicit_resolver is a classmethod); its stubs
    # declare them an instance attribute.
    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}  # type: ignore[misc]

    # The anchor is the event's name for the node (str | None); types-PyYAML says a dict.
    def compose_scalar_node(self, anchor: str | None) -> ScalarNode:  # type: ignore[override]
        """A node of only the tag ``!`` is the empty string, as libyaml reads it (not null)."""
        event = self.peek_event()
        if event.tag == "!" and event.value == "" and event.style is None:
            event.implicit = (False, False)
        return super().compose_scalar_node(anchor)  # type: ignore[arg-type]


def _libyaml_loader() -> type | None:
    """CSafeLoader with the core schema's implicit types, where PyYAML was built with a libyaml
    that refuses deep nesting (before 0.2.6 it has no limit, and composing recurses in C)."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None or getattr(yaml._yaml, "get_version", lambda: (0, 0, 0))() < (0, 2, 6):
        return None  # pragma: no cover - the wheels on PyPI bundle libyaml 0.2.6
    return type("_CoreCLoader", (loader,), {"yaml_implicit_resolvers": _CoreLoader.yaml_implicit_resolvers})


for _tag, _pattern, _first in (
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
):
    _CoreLoader.add_implicit_resolver(_TAG + _tag, re.compile(_pattern), _first)


#: The libyaml composer, or None where PyYAML lacks it.
_FAST_LOADER = _libyaml_loader()


def reads_as_other_than_text(plain: str) -> bool:
    """Whether ``plain``, written unquoted, would be read as a null, boolean or number."""
    return _RESOLVER.resolve(ScalarNode, plain, (True, False)) != _TAG + "str"


#: Resolves plain scalars as the loader does (an instance on no text; only its resolver is used).
_RESOLVER = _CoreLoader("")


def read_document(path: Path) -> tuple[Document, list[Problem]]:
    """Load ``path``. The document's ``data`` is ``None`` when the file could not be read at all."""
    name = str(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)  # /dev/zero or a huge file must not fill the memory
    except OSError as error:
        reason = error.strerror or str(error)
        return Document(name), [
            Problem(name, 1, 1, "", f"cannot read the file: {reason} (allowed: a readable YAML file)")
        ]
    if len(raw) > MAX_BYTES:
        return Document(name), [
            Problem(name, 1, 1, "", f"the file is larger than {MAX_BYTES // 2**20} MiB "
                    "(allowed: a manifest of at most that size; split it into several files)")
        ]
    text, problem = _decode(name, raw)
    if problem:
        return Document(name), [problem]
    return parse_text(name, text)


def parse_text(name: str, text: str, *, libyaml: bool = True) -> tuple[Document, list[Problem]]:
    """Parse YAML ``text`` (one document) as if read from file ``name``; ``libyaml=False`` uses
    the pure-Python composer only (the two must agree)."""
    root = _compose_fast(text) if libyaml else None
    if root is not None:
        try:
            return _convert(Document(name), root, libyaml=True)
        except _MarkedOtherwise:
            pass
    return _parse_pure(Document(name), text)


def _compose_fast(text: str) -> Node | None:
    """The root node as libyaml composes it; None when libyaml is missing, refuses the text, or the
    text is empty. A text with a U+FEFF is left to the pure composer: PyYAML counts no column for
    that character, libyaml one, and the marks after it would differ."""
    if _FAST_LOADER is None or "\ufeff" in text:
        return None
    try:
        return yaml.compose(text, Loader=_FAST_LOADER)
    except (yaml.YAMLError, UnicodeEncodeError):  # lone surrogates cannot be handed to libyaml
        return None


def _parse_pure(document: Document, text: str) -> tuple[Document, list[Problem]]:
    name = document.file
    try:
        root = yaml.compose(text, Loader=_CoreLoader)
    except yaml.reader.ReaderError as error:
        line, column = _line_column(text, error.position)
        return document, [
            Problem(name, line, column, "", f"the character {_codepoint(error.character)} is not "
                    "allowed in YAML (allowed: printable UTF-8 text)")
        ]
    except yaml.MarkedYAMLError as error:
        return document, [_syntax_problem(name, error)]
    except yaml.YAMLError as error:  # pragma: no cover - every pyyaml parse error is marked
        return document, [Problem(name, 1, 1, "", f"YAML error: {error} (allowed: valid YAML)")]
    except RecursionError:
        return document, [Problem(name, 1, 1, "", "the YAML is nested too deeply (allowed: a manifest)")]
    if root is None:
        return document, [
            Problem(name, 1, 1, "", "the file is empty (allowed: a mapping with version, stack and numbers)")
        ]
    return _convert(document, root)


def _convert(document: Document, root: Node, *, libyaml: bool = False) -> tuple[Document, list[Problem]]:
    name = document.file
    if libyaml and _is_empty(root):
        raise _MarkedOtherwise
    converter = _Converter(document, libyaml=libyaml)
    try:
        document.data = converter.value(root, ())
    except _TooBig:
        converter.problems.append(
            Problem(name, 1, 1, "", f"aliases expand to more than {MAX_VALUES} values "
                    "(allowed: a manifest of reasonable size)")
        )
    return document, converter.problems


def _decode(name: str, raw: bytes) -> tuple[str, Problem | None]:
    if b"\x00" in raw:
        line, column = _line_column(raw, raw.index(b"\x00"))
        return "", Problem(name, line, column, "", "this is a binary file, not YAML text "
                           "(allowed: a UTF-8 YAML text file)")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line, column = _line_column(raw, error.start)
        byte = raw[error.start]
        return "", Problem(name, line, column, "", f"the file is not valid UTF-8 (byte 0x{byte:02x}) "
                           "(allowed: UTF-8 text)")


def _codepoint(character: int | str) -> str:
    number = character if isinstance(character, int) else ord(character[:1] or "\0")
    return f"U+{number:04X}"


def _line_column(text: str | bytes, position: int) -> tuple[int, int]:
    if isinstance(text, str):
        line, line_start = text.count("\n", 0, position) + 1, text.rfind("\n", 0, position) + 1
    else:
        line, line_start = text.count(b"\n", 0, position) + 1, text.rfind(b"\n", 0, position) + 1
    return line, position - line_start + 1


def _syntax_problem(name: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = error.problem or "invalid YAML"
    if error.context:
        what = f"{error.context}, {what}"
    if "found character '\\t'" in what:
        return Problem(name, line, column, "", "a tab character here: YAML indents with spaces only "
                       "(allowed: spaces for indentation; replace the tab)")
    if "expected a single document" in what:
        return Problem(name, line, column, "", "the file holds more than one YAML document "
                       "(allowed: one manifest per file; remove the '---')")
    return Problem(name, line, column, "", f"YAML syntax error: {what} "
                   "(allowed: valid YAML; check the indentation and quoting)")


class _TooBig(Exception):
    pass


class _MarkedOtherwise(Exception):
    """libyaml placed an empty value where PyYAML would not: the pure composer is asked instead."""


def _is_empty(node: Node) -> bool:
    """A value written as nothing at all (``key:``), which both composers give a zero-width mark."""
    return isinstance(node, ScalarNode) and not node.style and node.value == ""


class _Converter:
    """Turns composed nodes into plain values, recording marks and problems as it goes."""

    def __init__(self, document: Document, *, libyaml: bool = False):
        self.document = document
        self.libyaml = libyaml
        self.problems: list[Problem] = []
        self.seen: set[int] = set()  # every node converted: one converted again came through an alias
        self.repeated = 0
        self.active: set[int] = set()  # collection nodes being converted: alias cycles

    def problem(self, node: Node, path: KeyPath, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.document.file, mark.line + 1, mark.column + 1, format_path(path), message)
        )

    def value(self, node: Node, path: KeyPath, key_node: Node | None = None) -> Any:
        if id(node) in self.seen:
            self.repeated += 1
            if self.repeated > MAX_VALUES:
                raise _TooBig
        else:
            self.seen.add(id(node))
        start = node.start_mark
        is_collection = not isinstance(node, ScalarNode)
        where = key_node.start_mark if (is_collection and key_node is not None) else start
        self.document.marks.setdefault(path, (where.line + 1, where.column + 1))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if len(path) >= MAX_DEPTH:
            self.problem(node, path, f"the data is nested more than {MAX_DEPTH} levels deep "
                         "(allowed: a manifest's few levels)")
            return None
        if id(node) in self.active:
            self.problem(key_node or node, path, "an alias refers to a mapping or list that contains it "
                         "(allowed: aliases to values defined before, not recursive ones)")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
            return self.sequence(cast(SequenceNode, node), path)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, path: KeyPath) -> Any:
        build = _SCALARS.get(node.tag)
        if build is None:
            self.problem(node, path, f"the YAML tag {_short(node.tag)} is not supported ({_WHAT_IS_ALLOWED})")
            return None
        try:
            value = build(node.value)
        except ValueError:
            self.problem(node, path, f"{node.value!r} is not a valid {_short(node.tag)} ({_WHAT_IS_ALLOWED})")
            return None
        surrogate = lone_surrogate(value) if isinstance(value, str) else None
        if surrogate:
            self.problem(node, path, f"the text holds a lone surrogate {surrogate}, which is not a character "
                         "(allowed: text of Unicode characters; write a character outside the BMP as one "
                         "\\U escape, e.g. \"\\U0001F600\")")
            return None
        return value

    def sequence(self, node: SequenceNode, path: KeyPath) -> list:
        if node.tag != _TAG + "seq":
            self.problem(node, path, f"the YAML tag {_short(node.tag)} is not supported ({_WHAT_IS_ALLOWED})")
        return [self.value(item, (*path, index)) for index, item in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: KeyPath) -> dict:
        if node.tag != _TAG + "map":
            self.problem(node, path, f"the YAML tag {_short(node.tag)} is not supported ({_WHAT_IS_ALLOWED})")
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            nothing_empty = key_node.value and value_node.value  # the usual case, cheaply
            if self.libyaml and not nothing_empty and self._marked_otherwise(node, key_node, value_node):
                raise _MarkedOtherwise
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, path, "a key must be a plain string, not a list or mapping "
                             "(allowed: name: value)")
                continue
            key = key_node.value
            key_path = (*path, key)
            if key == "<<" and not key_node.style:  # plain: None from PyYAML, "" from libyaml
                self.problem(key_node, key_path, "YAML merge keys ('<<') are not supported "
                             "(allowed: put the keys entries share in defaults, or state them in each entry)")
                continue
            if key in first_line:
                self.problem(key_node, key_path, f"duplicate key {key!r}, first defined at line "
                             f"{first_line[key]} (allowed: each key once in a mapping)")
                continue
            first_line[key] = key_node.start_mark.line + 1
            self.document.key_marks[key_path] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.value(value_node, key_path, key_node)
        return result

    @staticmethod
    def _marked_otherwise(node: MappingNode, key_node: Node, value_node: Node) -> bool:
        """Where libyaml marks an empty key or value at the next token and PyYAML at the end of the
        one before: an empty key, an empty value in a flow mapping (``{a: }``), an empty value of a
        ``? key`` (it is on a later line than the key). ``key:`` at the end of a line is marked alike."""
        if _is_empty(key_node):
            return True
        return _is_empty(value_node) and (
            node.flow_style or value_node.start_mark.line != key_node.start_mark.line
        )


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` as ``U+D800``, else None: such text cannot be encoded."""
    found = _SURROGATE.search(text)
    return _codepoint(found.group()) if found else None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


def _integer(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(text)


_SCALARS: dict[str, Callable[[str], Any]] = {
    _TAG + "str": str,
    _TAG + "null": lambda text: None,
    _TAG + "bool": _boolean,
    _TAG + "int": _integer,
    _TAG + "float": _float,
}


def _short(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag
