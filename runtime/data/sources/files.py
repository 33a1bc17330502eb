"""The user's files: which files a source's path names, and fingerprints of their contents.

A path is a file or a glob (`data/*.txt`, `shards/**/*.bin`), with `~` expanded; a relative
path is relative to the working directory, like every other path claimlab takes. A source's
fingerprint hashes the contents of its files (SHA-256), so a run's id changes when the data
changes and not when a file is copied, touched or checked out again. Hashing reads each file
once: digests are remembered in the cache, keyed by the file's size, mtime and inode.
"""

from __future__ import annotations

import glob
import hashlib
import itertools
import json
import os
from pathlib import Path

_CHUNK = 1 << 20
# Digests this process has read or computed, by the same key as the cache's memo files:
# a config validated many times (every run of a sweep) reads each memo once.
_digests: dict[str, str] = {}


def expand(pattern: str) -> Path:
    return Path(os.path.expanduser(pattern))


def matching_files(pattern: str) -> list[Path]:
    """The readable files `pattern` names, sorted; ValueError says why there are none."""
    path = expand(pattern)
    where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
    if _has_magic(str(path)):
        files = sorted(Path(p) for p in glob.glob(str(path), recursive=True)
                       if Path(p).is_file())
        if not files:
            raise ValueError(f"no file matches {pattern!r}{where}")
    elif path.is_dir():
        raise ValueError(f"{pattern!r} is a directory; name its files, e.g. "
                         f"{os.path.join(pattern, '*.txt')!r}")
    elif not path.exists():
        raise ValueError(f"no such file {pattern!r}{where}")
    else:
        files = [path]
    unreadable = [f for f in files if not os.access(f, os.R_OK)]
    if unreadable:
        raise ValueError(f"cannot read {unreadable[0]}: permission denied")
    return files


def named_files(pattern: str) -> list[tuple[str, Path]]:
    """The files `pattern` names, each with its path relative to the pattern's fixed part
    (`data/**/*.txt` -> `a/b.txt`): a name that stays the same wherever the data is."""
    parts = expand(pattern).parts
    fixed = Path(*[p for p in itertools.takewhile(lambda p: not _has_magic(p), parts)])
    base = fixed if _has_magic(pattern) else fixed.parent
    return [(f.relative_to(base).as_posix(), f) for f in matching_files(pattern)]


def fingerprint(*patterns: str | None) -> str:
    """One digest over the contents of every file the patterns name (None is skipped)."""
    digests = [[name, file_digest(path)]
               for pattern in patterns if pattern is not None
               for name, path in named_files(pattern)]
    text = json.dumps(digests, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _has_magic(text: str) -> bool:
    return any(c in text for c in "*?[")


def file_digest(path: Path) -> str:
    stat = path.stat()
    key = f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ino}"
    if key not in _digests:
        _digests[key] = _stored_digest(path, key)
    return _digests[key]


def _stored_digest(path: Path, key: str) -> str:
    # store imports numpy, which a spec's compile (checking a file's digest) never needs.
    from runtime.data.sources.store import cache_dir, write_bytes_atomic
    memo = cache_dir() / "digests" / hashlib.sha256(key.encode()).hexdigest()
    try:
        return memo.read_text(encoding="ascii")
    except FileNotFoundError:
        pass
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    write_bytes_atomic(memo, digest.hexdigest().encode("ascii"))
    return digest.hexdigest()
