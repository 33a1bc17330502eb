"""Composition: a spec, the fragments it `extends`, the profiles selected and the `--set`
overrides, merged into the one document that is validated (compiler/language/merge.py says how).

    fragments (in `extends` order, each with its own fragments first) < the spec itself
        < each profile selected, in the order given < each --set, in the order given

`extends` names one fragment file or a list of them, relative to the file that names it, and
inside the spec's boundary (its git repository, or its own folder: compiler/language/files.py);
an absolute path, or one that leads out of the boundary, is an error and is never read.
`profiles` maps a name to an overlay: any part of a spec, merged over it when selected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from compiler.language.errors import Problem, SpecError, did_you_mean, show
from compiler.language.files import LOCAL, Boundary, Files
from compiler.language.locations import Location, SourceMap, YamlPath
from compiler.language.merge import merge
from compiler.language.overrides import apply_sets
from compiler.language.spec_base import identifier_problem
from compiler.language.yaml_source import (
    Document,
    load_yaml,
    not_utf8,
    read_yaml,
    unreadable,
)

EXTENDS, PROFILES = "extends", "profiles"


@dataclass(frozen=True)
class Composed:
    document: Document                  # what to validate: no `extends`, no `profiles` key
    profiles: tuple[str, ...]           # every profile the spec declares
    # The spec with each profile that was not selected, so its mistakes are found too.
    unselected: tuple[Document, ...]
    # Every key given the value null (which removes it) in the spec, its fragments and the
    # profiles selected, where the key was written: merging leaves no trace of them, yet an
    # unknown one is still a mistake (compiler/language/removed_keys.py).
    nulls: tuple[tuple[YamlPath, Location], ...] = ()


def compose(path: str, files: Files = LOCAL, profiles: Sequence[str] = (),
            sets: Sequence[str] = ()) -> Composed:
    """Read and compose a spec; raises SpecError with every problem found, each located."""
    problems: list[Problem] = []
    reading = _Reading(files, files.boundary(path))
    document = _with_fragments(read_yaml(path, files), path, reading, (os.path.normpath(path),),
                               problems)
    declared = _declared_profiles(document, problems)
    problems += [_unknown_profile(name, declared, document)
                 for name in profiles if name not in declared]
    document = _without(document, PROFILES)
    chosen = document
    for name in profiles:
        if name in declared:
            chosen = merge(chosen, declared[name])
            reading.nulls.extend(_nulls(declared[name].data, (), declared[name].source))
    try:
        chosen = apply_sets(chosen, sets)
    except SpecError as error:
        problems += error.problems
    if problems:
        raise SpecError(problems)
    unselected = tuple(merge(document, overlay) for name, overlay in declared.items()
                       if name not in profiles)
    return Composed(chosen, tuple(declared), unselected, tuple(reading.nulls))


@dataclass(frozen=True)
class _Reading:
    """Where fragments are read from, the folder they must be in, and the null keys found in
    what was read."""

    files: Files
    boundary: Boundary
    nulls: list[tuple[YamlPath, Location]] = field(default_factory=list)


def _with_fragments(document: Document, path: str, reading: _Reading, chain: tuple[str, ...],
                    problems: list[Problem]) -> Document:
    """`document` (read from `path`) over the fragments it extends, composed the same way."""
    if document.data is None:
        document = Document({}, document.source)
    if not isinstance(document.data, Mapping):
        return document   # validation says what a spec must be
    files = reading.files
    reading.nulls.extend(_nulls({k: v for k, v in document.data.items()
                                 if k not in (EXTENDS, PROFILES)}, (), document.source))
    root = document.source.placements[()]
    composed = Document({}, SourceMap({(): root}))
    for where, entry in _extends_entries(document, problems):
        fragment = os.path.normpath(os.path.join(os.path.dirname(path), entry))
        refused = _refused(entry, fragment, reading)
        if refused:
            problems.append(_problem_at(document, where, refused))
            continue
        if fragment in chain:
            cycle = " -> ".join(files.label(p) for p in (*chain[chain.index(fragment):], fragment))
            problems.append(_problem_at(document, where, f"extends cycle: {cycle}"))
            continue
        loaded = _load_fragment(fragment, files, (document, where), problems)
        if loaded is not None:
            composed = merge(composed, _with_fragments(loaded, fragment, reading,
                                                       (*chain, fragment), problems))
    return merge(composed, _without(document, EXTENDS))


def _nulls(data: Any, path: YamlPath,
           source: SourceMap) -> Iterator[tuple[YamlPath, Location]]:
    """The keys under `path` in `data` whose value is null, with where each was written."""
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        child = (*path, key)
        if value is None:
            where = source.locate(child, at_key=True)
            if where is not None:
                yield child, where
        else:
            yield from _nulls(value, child, source)


def _refused(entry: str, fragment: str, reading: _Reading) -> str | None:
    """Why the fragment `entry` names (at `fragment`) is not read, or None when it is."""
    if os.path.isabs(entry):
        return ("expected a path relative to this file; an absolute path is not read, "
                f"fragments must be inside {reading.boundary.what}")
    if not reading.files.inside(fragment, reading.boundary.folder):
        return (f"leads outside {reading.boundary.what}; fragments are read only from "
                "inside it")
    return None


def _extends_entries(document: Document, problems: list[Problem]) -> list[tuple[YamlPath, str]]:
    value = document.data.get(EXTENDS)
    if value is None:
        return []
    if isinstance(value, str):
        return [((EXTENDS,), value)]
    if not isinstance(value, list):
        problems.append(_problem_at(document, (EXTENDS,), "expected a fragment file or a list "
                                    f"of them, found {show(value)}"))
        return []
    entries = []
    for index, item in enumerate(value):
        if isinstance(item, str) and item:
            entries.append(((EXTENDS, index), item))
        else:
            problems.append(_problem_at(document, (EXTENDS, index),
                                        f"expected a fragment file name, found {show(item)}"))
    return entries


def _load_fragment(path: str, files: Files, named_at: tuple[Document, YamlPath],
                   problems: list[Problem]) -> Document | None:
    """The fragment at `path`, or None with its problems added (an unreadable file is a
    problem of the `extends` entry that names it)."""
    try:
        text = files.read(path)
    except UnicodeDecodeError as error:
        problems.append(not_utf8(error, files.label(path)))
        return None
    except OSError as error:
        message = f"cannot read fragment {files.label(path)}: {unreadable(error)}"
        problems.append(_problem_at(*named_at, message))
        return None
    try:
        fragment = load_yaml(text, files.label(path))
    except SpecError as error:
        problems.extend(error.problems)
        return None
    if fragment.data is not None and not isinstance(fragment.data, Mapping):
        problems.append(Problem((), f"a fragment must be a mapping of spec keys, found "
                                    f"{show(fragment.data)}", location=fragment.source.locate(())))
        return None
    return fragment


def _declared_profiles(document: Document, problems: list[Problem]) -> dict[str, Document]:
    value = document.data.get(PROFILES) if isinstance(document.data, Mapping) else None
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(_problem_at(document, (PROFILES,), "expected a mapping of profile "
                                    f"names to overlays, found {show(value)}"))
        return {}
    declared = {}
    for name, overlay in value.items():
        where = (PROFILES, name)
        problem = identifier_problem(name)
        if problem:
            problems.append(_problem_at(document, where, problem, at_key=True))
        elif overlay is not None and not isinstance(overlay, Mapping):
            problems.append(_problem_at(document, where, "expected a mapping of spec keys to "
                                        f"overlay, found {show(overlay)}"))
        else:
            declared[name] = Document(overlay or {}, document.source.subtree(where))
    return declared


def _unknown_profile(name: str, declared: Mapping[str, Document], document: Document) -> Problem:
    if not declared:
        message = f"no profile {name!r}: this spec declares no profiles"
    else:
        message = (f"no profile {name!r} (profiles: {', '.join(declared)})"
                   f"{did_you_mean(name, list(declared))}")
    return _problem_at(document, (PROFILES,), message, at_key=True)


def _without(document: Document, key: str) -> Document:
    if not isinstance(document.data, Mapping) or key not in document.data:
        return document
    data = {k: v for k, v in document.data.items() if k != key}
    return Document(data, document.source.without((key,)))


def _problem_at(document: Document, path: YamlPath, message: str,
                at_key: bool = False) -> Problem:
    """A problem located now, in `document` (a fragment's path means nothing in the spec)."""
    return Problem(path, message, at_key, document.source.locate(path, at_key))
