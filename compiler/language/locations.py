"""Where things were written: file, line and column of every key and value of a spec.

Paths are tuples of mapping keys and list indices, e.g. `("sweep", "grid", "model.width", 2)`.
Each `Location` names its own file, so a map built from several files (a spec and the
fragments it composes, a `--set` on the command line) can still point into the right one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int    # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Placement:
    """Where one path's key and value were written (list items and the root have no key)."""

    key: Location | None
    value: Location


class SourceMap:
    def __init__(self, placements: Mapping[YamlPath, Placement]) -> None:
        self.placements: Mapping[YamlPath, Placement] = dict(placements)

    def locate(self, path: YamlPath, at_key: bool = False) -> Location | None:
        """The location of `path`'s key (when `at_key`) or value.

        A path the source does not hold (a key that is missing, a place inside a generated
        value) falls back to the value of its nearest written ancestor.
        """
        for depth in range(len(path), -1, -1):
            placement = self.placements.get(path[:depth])
            if placement is None:
                continue
            if at_key and depth == len(path) and placement.key is not None:
                return placement.key
            return placement.value
        return None

    def subtree(self, prefix: YamlPath) -> SourceMap:
        """The placements at and under `prefix`, with `prefix` taken off their paths."""
        return SourceMap({path[len(prefix):]: placement
                          for path, placement in self.placements.items()
                          if path[:len(prefix)] == prefix})

    def grafted(self, prefix: YamlPath) -> SourceMap:
        """The same placements with `prefix` put in front of every path."""
        return SourceMap({(*prefix, *path): placement
                          for path, placement in self.placements.items()})

    def without(self, prefix: YamlPath) -> SourceMap:
        """Every placement except those at and under `prefix`."""
        return SourceMap({path: placement for path, placement in self.placements.items()
                          if path[:len(prefix)] != prefix})

    def updated(self, other: SourceMap) -> SourceMap:
        """These placements, with `other`'s replacing those of the same paths."""
        return SourceMap({**self.placements, **other.placements})
