"""The built-in corpora: text that ships with Python itself, so they need no download.

    stdlib-code    the standard library's `.py` sources
    stdlib-prose   English prose: the reference topics of `pydoc_data` and the standard
                   library's docstrings (one document per topic, one per module)

Left out of both: installed third-party packages, the standard library's own tests (~2/3 of
the bytes, highly repetitive, and shipped separately by several Linux distributions, which
would make the corpus depend on the distro), and files generated when Python is built.
"""

from __future__ import annotations

import ast
import os
import sysconfig
from collections.abc import Callable, Iterator
from pathlib import Path

Document = tuple[str, bytes]

_STDLIB_SKIP_DIRS = {"site-packages", "dist-packages", "__pycache__", "test", "tests", "idle_test"}
_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def stdlib_code() -> Iterator[Document]:
    root = _stdlib_root()
    for rel in _stdlib_modules():
        yield rel, (root / rel).read_bytes()


def stdlib_prose() -> Iterator[Document]:
    from pydoc_data.topics import topics

    for name in sorted(topics):
        yield f"topic:{name}", topics[name].strip().encode()
    root = _stdlib_root()
    for rel in _stdlib_modules():
        docstrings = _docstrings((root / rel).read_bytes())
        if docstrings:
            yield f"module:{rel}", "\n\n".join(docstrings).encode()


CORPORA: dict[str, Callable[[], Iterator[Document]]] = {
    "stdlib-code": stdlib_code,
    "stdlib-prose": stdlib_prose,
}


def _stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _stdlib_modules() -> list[str]:
    root = _stdlib_root()
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames
                       if d not in _STDLIB_SKIP_DIRS and not d.startswith("config-")]
        paths += [Path(dirpath, f) for f in filenames
                  if f.endswith(".py") and not f.startswith("_sysconfigdata")]
    return sorted(p.relative_to(root).as_posix() for p in paths)


def _docstrings(source: bytes) -> list[str]:
    """The module's, classes' and functions' docstrings, in the order they are written."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        # A few library files are templates or use syntax of another Python; they hold no
        # prose worth the trouble.
        return []
    nodes = sorted((n for n in ast.walk(tree) if isinstance(n, _DOCUMENTED)),
                   key=lambda n: getattr(n, "lineno", 0))
    return [doc for node in nodes if (doc := ast.get_docstring(node))]
