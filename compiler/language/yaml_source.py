"""Read YAML into plain data, remembering where every key and value was written.

The text is composed into nodes (which carry their marks) and turned into data here rather
than by PyYAML's constructor, so that each key and value gets a location, duplicate keys
are caught at their second occurrence, and only plain data gets through: any tag beyond the
core schema (`!!python/object`, `!!binary`, a local `!tag`) is an error, never constructed.
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

_CORE = "tag:yaml.org,2002:"
SCALAR_TAGS = {_CORE + name for name in ("null", "bool", "int", "float", "str")}
MERGE_TAG = _CORE + "merge"


class _Loader(yaml.SafeLoader):
    """SafeLoader that resolves plain scalars to core types only, and reads `1e-3` as a number.

    YAML 1.1 (PyYAML's dialect) reads `1e-3` as a string, `2024-01-01` as a date and `yes`,
    `no`, `on`, `off` as booleans; specs are written the YAML 1.2 / JSON way, where the first
    is a float, the second a string, and only `true` and `false` are booleans.
    """


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
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError([Problem((), f"cannot read {label}: {unreadable(error)}")]) from None
    return load_yaml(text, label)


def unreadable(error: OSError | UnicodeDecodeError) -> str:
    """Why a file could not be read, in a few words."""
    return error.strerror or str(error) if isinstance(error, OSError) else "not UTF-8 text"


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

    def build(self, node: Node, path: YamlPath, key: Location | None = None) -> Any:
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
