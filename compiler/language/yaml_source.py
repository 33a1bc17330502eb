"""Read YAML into plain data, remembering where every key and value was written.

The text is composed into nodes (which carry their marks) and turned into data here rather
than by PyYAML's constructor, so that each key and value gets a location, duplicate keys
are caught at their second occurrence, and only plain data gets through: any tag beyond the
core schema (`!!python/object`, `!!binary`, a local `!tag`) is an error, never constructed.

Specs come from pull requests and shared folders, so reading one is bounded however it is
written: at most MAX_VALUES values, counting each alias as the values it repeats (a kilobyte
"billion laughs" would otherwise expand to gigabytes), nested at most MAX_DEPTH deep, and no
string that is not Unicode text (a lone surrogate, written as an escape). Each is a located
problem, found before the spec is built any further.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from compiler.language.errors import Problem, SpecError
from compiler.language.files import LOCAL, Files
from compiler.language.locations import Location, Placement, SourceMap, YamlPath

# A spec has a few hundred values; a sweep axis may list a thousand.
MAX_VALUES = 20_000
MAX_DEPTH = 64

_CORE = "tag:yaml.org,2002:"
_SURROGATE = re.compile("[\ud800-\udfff]")
SCALAR_TAGS = {_CORE + name for name in ("null", "bool", "int", "float", "str")}
MERGE_TAG = _CORE + "merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader that resolves plain scalars to core types only, and reads `1e-3` as a number.

    YAML 1.1 (PyYAML's dialect) reads `1e-3` as a string, `2024-01-01` as a date and `yes`,
    `no`, `on`, `off` as booleans; specs are written the YAML 1.2 / JSON way, where the first
    is a float, the second a string, and only `true` and `false` are booleans.

    Composing counts the nodes and the depth, so that a huge or deeply nested document stops
    at the limit instead of running out of time or stack.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._nodes = self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._nodes += 1
        self._depth += 1
        try:
            if self._nodes > MAX_VALUES:
                raise _TooLarge(self.peek_event().start_mark,
                                f"more than {MAX_VALUES:,} values: far more than a spec holds")
            if self._depth > MAX_DEPTH:
                raise _TooLarge(self.peek_event().start_mark,
                                f"nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooLarge(Exception):
    """A document past one of the limits, at the mark where it went past."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        super().__init__(message)
        self.mark, self.message = mark, message


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag in SCALAR_TAGS - {_CORE + "bool"} | {MERGE_TAG}]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _CORE + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(
    _CORE + "float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


@dataclass(frozen=True)
class Document:
    data: Any
    source: SourceMap


def read_yaml(path: str | Path, files: Files = LOCAL) -> Document:
    """Load a YAML file; problems name the file as `files` labels it."""
    label = files.label(str(path))
    try:
        text = files.read(str(path))
    except UnicodeDecodeError as error:
        raise SpecError([not_utf8(error, label)]) from None
    except OSError as error:
        # A file refused for what it is (errno 0: too large, not a regular file) is there to
        # point at; one that cannot be opened is not.
        where = Location(label, 1, 1) if error.errno == 0 else None
        raise SpecError([Problem((), f"cannot read {label}: {unreadable(error)}",
                                 location=where)]) from None
    return load_yaml(text, label)


def unreadable(error: OSError | UnicodeDecodeError) -> str:
    """Why a file could not be read, in a few words."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return f"not UTF-8 text (byte {error.start:,} is not part of a UTF-8 character)"


def not_utf8(error: UnicodeDecodeError, file: str) -> Problem:
    """The problem of a file that is not UTF-8, at the line and column of its first bad byte."""
    data = bytes(error.object)
    line = data.count(b"\n", 0, error.start) + 1
    column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
    return Problem((), f"not UTF-8 text: byte 0x{data[error.start]:02x} at offset "
                       f"{error.start:,} (line {line}) is not part of a UTF-8 character",
                   location=Location(file, line, column))


def load_yaml(text: str, file: str) -> Document:
    """Parse one YAML document; raises SpecError with every problem found, each located."""
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return Document(None, SourceMap({(): Placement(None, Location(file, 1, 1))}))
            builder = _Builder(file, loader)
            data = builder.build(root, ())
        finally:
            loader.dispose()
    except _TooLarge as error:
        location = Location(file, error.mark.line + 1, error.mark.column + 1)
        raise SpecError([Problem((), error.message, location=location)]) from None
    except yaml.MarkedYAMLError as error:
        raise SpecError([_syntax_problem(error, file)]) from None
    except yaml.reader.ReaderError as error:
        raise SpecError([_unreadable_character(error, text, file)]) from None
    if builder.problems:
        raise SpecError(builder.problems)
    return Document(data, SourceMap(builder.placements))


class _Builder:
    """Turns a node graph into plain data, recording placements and collecting problems."""

    def __init__(self, file: str, loader: _Loader) -> None:
        self.file = file
        self.loader = loader
        self.placements: dict[YamlPath, Placement] = {}
        self.problems: list[Problem] = []
        self._open: set[int] = set()   # collections being built: an alias back into one loops
        self._built = 0                # values built, each alias counted as what it repeats

    def build(self, node: Node, path: YamlPath, key: Location | None = None) -> Any:
        self._built += 1
        if self._built > MAX_VALUES:
            raise _TooLarge(node.start_mark, f"its aliases repeat values past {MAX_VALUES:,}, "
                                             "far more than a spec holds")
        self.placements[path] = Placement(key, self._at(node))
        if id(node) in self._open:
            return self._problem(path, "an alias refers to a collection that contains it")
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        expected = _CORE + ("map" if isinstance(node, MappingNode) else "seq")
        if node.tag != expected:
            return self._problem(path, _unsupported_tag(node.tag))
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _scalar(self, node: ScalarNode, path: YamlPath) -> Any:
        if node.tag not in SCALAR_TAGS:
            return self._problem(path, _unsupported_tag(node.tag))
        if _SURROGATE.search(node.value):
            return self._problem(path, _surrogate(node.value))
        try:
            return self.loader.construct_object(node)
        except (ValueError, KeyError, yaml.constructor.ConstructorError):
            tag = node.tag.replace(_CORE, "!!")
            return self._problem(path, f"cannot read {node.value!r} as {tag}")

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict[str, Any]:
        data: dict[str, Any] = {}
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            where = self._at(key_node)
            if key in first_lines:
                self.problems.append(Problem(
                    (*path, key), f"duplicate key {key!r} (first given at line {first_lines[key]})",
                    at_key=True, location=where))
                continue
            first_lines[key] = where.line
            data[key] = self.build(value_node, (*path, key), where)
        return data

    def _key(self, node: Node, path: YamlPath) -> str | None:
        """The key's text (keys are names, so `1:` or `on:` stay the strings they look like)."""
        if node.tag == MERGE_TAG:
            message = "YAML merge keys ('<<') are not supported; write the keys out"
        elif not isinstance(node, ScalarNode):
            message = "a mapping key must be a plain name, not a list or mapping"
        elif node.tag not in SCALAR_TAGS:
            message = _unsupported_tag(node.tag)
        elif _SURROGATE.search(node.value):
            message = _surrogate(node.value)
        else:
            return node.value
        self.problems.append(Problem(path, message, location=self._at(node)))
        return None

    def _problem(self, path: YamlPath, message: str) -> None:
        self.problems.append(Problem(path, message, location=self.placements[path].value))
        return None

    def _at(self, node: Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)


def _unsupported_tag(tag: str) -> str:
    return (f"unsupported YAML tag {tag.replace(_CORE, '!!')!r}: a spec holds only strings, "
            "numbers, booleans, null, lists and mappings")


def _surrogate(text: str) -> str:
    code = ord(_SURROGATE.search(text)[0])
    return (f"\\u{code:04x} is half of a UTF-16 surrogate pair, not a character: write the "
            "character itself")


def _syntax_problem(error: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    problem, context = error.problem or "", error.context or ""
    if problem.startswith("but "):  # "expected a single document in the stream, but found ..."
        message = f"{context}, {problem}"
    elif context and error.context_mark:
        message = f"{problem} ({context} at line {error.context_mark.line + 1})"
    else:
        message = problem or context
    message = f"invalid YAML: {message}"
    location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)
    return Problem((), message, location=location)


def _unreadable_character(error: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    line = text.count("\n", 0, error.position) + 1
    column = error.position - text.rfind("\n", 0, error.position)
    code = error.character if isinstance(error.character, int) else ord(error.character)
    return Problem((), f"invalid YAML: character U+{code:04X} is not allowed",
                   location=Location(file, line, column))
