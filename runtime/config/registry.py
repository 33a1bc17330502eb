"""One table per family of kinds: kind -> its implementation, named as "module:attribute".

Each config module builds its family's table next to the union of that family's config models,
so adding a kind means a model and a table entry there, and the implementation in the module
the entry names. Entries are strings, imported on first use, because the config modules are
the job contract the compiler and the command line read without importing torch. A kind the
table does not have is an error naming the family and the kinds it has, never a fallback.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator, Mapping
from typing import Any


class UnknownKind(LookupError):
    """A kind that its family's registry has no entry for."""

    def __init__(self, family: str, kind: object, known: list[str]):
        close = difflib.get_close_matches(str(kind), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        super().__init__(f"unknown {family} kind {kind!r}{hint} "
                         f"(known {family} kinds: {', '.join(known)})")
        self.family, self.kind, self.known = family, kind, known


class Registry:
    """The implementations of one family's kinds, imported when first looked up."""

    def __init__(self, family: str, entries: Mapping[str, str]):
        self.family = family
        self._entries = dict(entries)
        self._resolved: dict[str, Any] = {}

    def __getitem__(self, kind: str) -> Any:
        """The implementation of `kind`; UnknownKind when the table has no such kind."""
        if kind not in self._resolved:
            self._resolved[kind] = self._resolve(kind)
        return self._resolved[kind]

    def __contains__(self, kind: object) -> bool:
        return kind in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def target(self, kind: str) -> str:
        """The "module:attribute" the table names for `kind`."""
        if kind not in self._entries:
            raise UnknownKind(self.family, kind, sorted(self._entries))
        return self._entries[kind]

    def _resolve(self, kind: str) -> Any:
        target = self.target(kind)
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        try:
            return getattr(module, attribute)
        except AttributeError:
            raise LookupError(f"the {self.family} kind {kind!r} names {target}, but "
                              f"{module_name} has no {attribute!r}") from None

    def __repr__(self) -> str:
        return f"Registry({self.family!r}, {self._entries!r})"
