"""Prepared sources on disk: token arrays per split, built once and memory-mapped on use.

A prepared source is a directory under $CLAIMLAB_CACHE/sources/ (default
~/.cache/claimlab), named by a hash of everything its tokens depend on:

    <split>.tokens.npy   the split's documents, concatenated, as one flat array of token ids
    <split>.starts.npy   where each document starts, then the array's length (int64)
    <split>.scores.npy   each document's score, for sources that grade documents (float32)
    meta.json            vocabulary, separator, text bytes per split; written last

Several worker processes may prepare the same source at once: each builds a private
directory and renames it into place; the first rename wins and the others are dropped, so a
reader never sees half a source.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np

SplitName = Literal["train", "val"]
T = TypeVar("T")
SPLITS: tuple[SplitName, ...] = ("train", "val")


def cache_dir() -> Path:
    return Path(os.environ.get("CLAIMLAB_CACHE") or Path.home() / ".cache" / "claimlab")


@dataclass(frozen=True)
class Split:
    tokens: np.ndarray
    # Document i is tokens[starts[i]:starts[i + 1]], its separator (if any) included.
    starts: np.ndarray
    scores: np.ndarray | None = None
    # UTF-8 bytes of the text these tokens encode (bits per byte need it); 0 when unknown.
    text_bytes: int = 0

    @property
    def documents(self) -> int:
        return len(self.starts) - 1

    def document(self, index: int) -> np.ndarray:
        return self.tokens[self.starts[index]:self.starts[index + 1]]


@dataclass(frozen=True)
class Prepared:
    key: str
    train: Split
    val: Split
    vocab_size: int
    # The token that ends each document (NUL for byte sources), or None.
    separator: int | None
    # A tokenizers JSON file that decodes the ids; None for bytes.
    tokenizer: str | None
    location: Path

    def split(self, name: SplitName) -> Split:
        return self.train if name == "train" else self.val


@dataclass(frozen=True)
class Built:
    """What a builder hands to `cached`: the splits and how to read them."""

    splits: dict[SplitName, Split]
    vocab_size: int
    separator: int | None
    tokenizer: str | None = None


def cached(key: str, build: Callable[[], Built]) -> Prepared:
    """The prepared source `key`, building it with `build` on first use."""
    location = cache_dir() / "sources" / key
    if not (location / "meta.json").exists():
        _save(location, build())
    return _load(location)


def join_documents(documents: list[np.ndarray], separator: int | None,
                   dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Documents -> (flat tokens, starts), each document followed by the separator."""
    ends = [len(d) + (separator is not None) for d in documents]
    starts = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum(ends, out=starts[1:])
    tokens = np.full(int(starts[-1]), separator or 0, dtype=dtype)
    for start, doc in zip(starts[:-1], documents):
        tokens[start:start + len(doc)] = doc
    return tokens, starts


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp makes the file private; a cache shared by several users must be readable.
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save(location: Path, built: Built) -> None:
    location.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=location.parent, prefix=f".{location.name}."))
    try:
        os.chmod(staging, 0o755)
        meta = {"vocab_size": built.vocab_size, "separator": built.separator,
                "tokenizer": built.tokenizer, "text_bytes": {}}
        for name, split in built.splits.items():
            np.save(staging / f"{name}.tokens.npy", split.tokens)
            np.save(staging / f"{name}.starts.npy", split.starts)
            if split.scores is not None:
                np.save(staging / f"{name}.scores.npy", split.scores.astype(np.float32))
            meta["text_bytes"][name] = split.text_bytes
        (staging / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        try:
            os.rename(staging, location)
        except OSError:
            if not (location / "meta.json").exists():
                raise
            # Another process prepared the same source first: its copy is the same.
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@functools.cache
def _load(location: Path) -> Prepared:
    # One mapping per file per process: workers that train many runs open each file once.
    meta = json.loads((location / "meta.json").read_text(encoding="utf-8"))
    splits = {}
    for name in SPLITS:
        scores = location / f"{name}.scores.npy"
        splits[name] = Split(
            tokens=np.load(location / f"{name}.tokens.npy", mmap_mode="r"),
            starts=np.load(location / f"{name}.starts.npy"),
            scores=np.load(scores) if scores.exists() else None,
            text_bytes=meta["text_bytes"][name])
    return Prepared(key=location.name, train=splits["train"], val=splits["val"],
                    vocab_size=meta["vocab_size"], separator=meta["separator"],
                    tokenizer=meta["tokenizer"], location=location)


def assign_splits(documents: list[tuple[str, T]], val_fraction: float
                  ) -> dict[SplitName, list[T]]:
    """Each split's documents. A document goes to validation when a hash of its name falls
    below `val_fraction`, so the split does not depend on listing order; each split is kept
    in the order of that hash, so any prefix of it is a random sample of its documents."""
    splits: dict[SplitName, list[T]] = {"train": [], "val": []}
    for name, document in sorted(documents, key=lambda item: _unit_hash(item[0])):
        splits["val" if is_validation(name, val_fraction) else "train"].append(document)
    return splits


def is_validation(name: str, val_fraction: float) -> bool:
    return _unit_hash(name) < val_fraction


def _unit_hash(name: str) -> float:
    digest = hashlib.sha256(name.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
