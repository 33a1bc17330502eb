"""A source's stream: the window of tokens a run reads at its k-th draw from the source.

Every stream is a pure function of (seed, k), so any draw can be made without the ones
before it. The orders (see runtime/data/sources/configs.py `Draws`):

    random      window k starts at a hash of (seed, source, k): independent, uniform starts
    shuffled    the split cut into windows one stride (seq_len) apart, so each token is a
                target once per epoch; epoch e visits them in a random order of its own
    ascending   documents sorted by score (ties kept in split order), windows read straight
    descending  through them; after the last window the stream starts over. With `bins`,
                the windows in that order are cut into equal consecutive bins, each read in
                a random order of its own per epoch
"""

from __future__ import annotations

import hashlib
import itertools
import math

import numpy as np

from runtime.data.sources.configs import Draws
from runtime.data.sources.store import Split

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


class Stream:
    def __init__(self, name: str, split: Split, draws: Draws, seq_len: int, total_draws: int):
        self.order, self.stride, self.window = draws.order, seq_len, seq_len + 1
        self._tag = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
        self.tokens, self.starts, self.scores = _budgeted(
            split, _budget(name, draws, seq_len, total_draws, len(split.tokens)))
        if len(self.tokens) < self.window:
            raise ValueError(f"source {name!r} has {len(self.tokens)} train tokens, fewer than "
                             f"one window of seq_len + 1 = {self.window}")
        self.n_windows = (len(self.tokens) - 1) // self.stride
        self._permutations: dict[tuple[int, int], np.ndarray] = {}
        if self.order in ("ascending", "descending"):
            self._layout = _Reordered(self.starts, self.scores, self.order == "descending")
        self.bins = draws.bins

    def windows(self, seed: int, draws: np.ndarray) -> np.ndarray:
        """(len(draws), seq_len + 1) tokens: the windows of these draw indices."""
        if self.order == "random":
            positions = len(self.tokens) - self.window + 1
            return self._read(_hash(seed, self._tag, draws) % np.uint64(positions))
        epoch, index = np.divmod(draws, self.n_windows)
        if self.order == "shuffled":
            starts = np.empty_like(draws)
            for e in np.unique(epoch):
                chosen = epoch == e
                starts[chosen] = self._permutation(seed, int(e))[index[chosen]] * self.stride
            return self._read(starts)
        if self.bins is not None:
            for e in np.unique(epoch):
                chosen = epoch == e
                index[chosen] = self._permutation(seed, int(e))[index[chosen]]
        offsets = index[:, None] * self.stride + np.arange(self.window)
        return self.tokens[self._layout.positions(offsets)]

    def epochs(self, draws: int) -> float:
        """How many times `draws` draws go through the stream's windows."""
        return draws / self.n_windows

    def _read(self, starts: np.ndarray) -> np.ndarray:
        return self.tokens[starts.astype(np.int64)[:, None] + np.arange(self.window)]

    def _permutation(self, seed: int, epoch: int) -> np.ndarray:
        # A batch usually spans one epoch or two; keep the few in use.
        key = (seed, epoch)
        if key not in self._permutations:
            if len(self._permutations) >= 4:
                self._permutations.pop(next(iter(self._permutations)))
            rng = np.random.default_rng([seed, self._tag, epoch])
            if self.bins is None:
                self._permutations[key] = rng.permutation(self.n_windows)
            else:   # a permutation within each bin of a curriculum's ordered windows
                edges = np.linspace(0, self.n_windows, min(self.bins, self.n_windows) + 1)
                edges = edges.round().astype(np.int64)
                self._permutations[key] = np.concatenate(
                    [low + rng.permutation(high - low) for low, high in itertools.pairwise(edges)])
        return self._permutations[key]


class _Reordered:
    """Positions in the documents laid out in score order -> positions in the split."""

    def __init__(self, starts: np.ndarray, scores: np.ndarray, descending: bool):
        order = np.argsort(-scores if descending else scores, kind="stable")
        lengths = np.diff(starts)[order]
        self._first = starts[:-1][order]
        self._laid_out = np.concatenate([[0], np.cumsum(lengths)])

    def positions(self, offsets: np.ndarray) -> np.ndarray:
        document = np.searchsorted(self._laid_out, offsets, side="right") - 1
        return self._first[document] + offsets - self._laid_out[document]


def _budget(name: str, draws: Draws, seq_len: int, total_draws: int, available: int) -> int:
    """How many of the split's tokens the stream may use."""
    if draws.unique_tokens is not None:
        needed = draws.unique_tokens
    elif draws.epochs is not None and total_draws:
        needed = math.ceil(total_draws / draws.epochs) * seq_len + 1
    else:
        return available
    if needed > available:
        wanted = (f"{draws.epochs:g} epochs of this run's {total_draws} draws need"
                  if draws.unique_tokens is None else "unique_tokens asks for")
        raise ValueError(f"source {name!r}: {wanted} {needed} tokens, but its train split "
                         f"has {available}")
    return needed


def _budgeted(split: Split, budget: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The split cut to its first `budget` tokens (the split is stored in a random document
    order, so they are a random sample of its documents); the last document is cut short."""
    if budget >= len(split.tokens):
        return split.tokens, split.starts, split.scores
    kept = int(np.searchsorted(split.starts, budget, side="left"))
    starts = np.append(split.starts[:kept], budget)
    scores = None if split.scores is None else split.scores[:kept]
    return split.tokens[:budget], starts, scores


def _hash(seed: int, tag: int, draws: np.ndarray) -> np.ndarray:
    """splitmix64 of each draw index, keyed by seed and source."""
    key = np.uint64((seed * int(_GOLDEN) + tag) % 2**64)
    x = draws.astype(np.uint64) * _GOLDEN + key
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))
