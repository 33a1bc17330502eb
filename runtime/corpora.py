"""Built-in corpora, split into train and validation documents and cached as flat byte files.

A corpus is a sorted list of documents (relative path, bytes). A document goes to validation
when a hash of its path falls below `val_fraction`, so the split is the same on every machine and
independent of directory listing order. Each split is stored as its documents joined by NUL
bytes (which never occur in source text, so they mark where a file ends), memory-mapped on use.

The cache lives in $CLAIMLAB_CACHE (default ~/.cache/claimlab), keyed by Python version, corpus
and split parameters. Several worker processes may build the same file at once: each writes a
private temporary file and renames it into place, and all of them write the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import numpy as np

Split = Literal["train", "val"]
Document = tuple[str, bytes]

# Bump when the bytes a corpus produces change, so stale caches are not reused.
FORMAT_VERSION = 1
SEPARATOR = b"\x00"

# Left out of stdlib-code: installed third-party packages, the standard library's own tests
# (~2/3 of the bytes, highly repetitive, and shipped separately by several Linux distributions,
# which would make the corpus depend on the distro), and files generated when Python is built.
_STDLIB_SKIP_DIRS = {"site-packages", "dist-packages", "__pycache__", "test", "tests", "idle_test"}


def _stdlib_code() -> Iterator[Document]:
    root = Path(sysconfig.get_paths()["stdlib"])
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames
                       if d not in _STDLIB_SKIP_DIRS and not d.startswith("config-")]
        paths += [Path(dirpath, f) for f in filenames
                  if f.endswith(".py") and not f.startswith("_sysconfigdata")]
    for rel in sorted(p.relative_to(root).as_posix() for p in paths):
        yield rel, (root / rel).read_bytes()


CORPORA: dict[str, Callable[[], Iterator[Document]]] = {"stdlib-code": _stdlib_code}


def cache_dir() -> Path:
    return Path(os.environ.get("CLAIMLAB_CACHE") or Path.home() / ".cache" / "claimlab")


def load_split(corpus: str, split: Split, val_fraction: float) -> np.ndarray:
    """The split's bytes as a read-only uint8 array, building the cache on first use."""
    paths = _cache_paths(corpus, val_fraction)
    if not all(p.exists() for p in paths.values()):
        _build(corpus, val_fraction, paths)
    path = paths[split]
    if path.stat().st_size == 0:
        raise ValueError(
            f"corpus {corpus!r} has no {split} documents with val_fraction={val_fraction}"
        )
    return _memmap(path)


def is_validation(name: str, val_fraction: float) -> bool:
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < val_fraction


@functools.cache
def _memmap(path: Path) -> np.ndarray:
    # One mapping per file per process: workers that train many runs open each file once.
    return np.memmap(path, dtype=np.uint8, mode="r")


def _cache_paths(corpus: str, val_fraction: float) -> dict[Split, Path]:
    version = ".".join(map(str, sys.version_info[:3]))
    stem = f"{corpus}-py{version}-val{val_fraction!r}-v{FORMAT_VERSION}"
    return {split: cache_dir() / "corpora" / f"{stem}.{split}.u8" for split in ("train", "val")}


def _build(corpus: str, val_fraction: float, paths: dict[Split, Path]) -> None:
    docs: dict[Split, list[bytes]] = {"train": [], "val": []}
    for name, data in CORPORA[corpus]():
        docs["val" if is_validation(name, val_fraction) else "train"].append(data)
    for split, path in paths.items():
        _write_atomic(path, SEPARATOR.join(docs[split]))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp makes the file private; a cache shared by several users must be readable.
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
