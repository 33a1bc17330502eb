"""Train and validation batches drawn from a weighted mix of byte sources.

A batch is `batch_size` random windows of seq_len + 1 bytes: inputs and next-byte targets. Each
window's source is drawn by the mix weights.

The train batch for step s comes from a generator seeded by (seed, s) alone, so any step's batch
can be rebuilt without replaying the steps before it (what resuming and sharding rely on).
Validation batches come from a seed fixed per corpus, independent of the run's seed, so every run
is scored on the same held-out bytes. Every source is evaluated, including those with mix weight
0 (data the run should not forget, say).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from runtime import corpora
from runtime.config import DataConfig

Batch = tuple[Tensor, Tensor]

# Tags that keep the train and validation random streams apart whatever the seeds.
_TRAIN_STREAM, _VAL_STREAM = 0, 1


@dataclass(frozen=True)
class Source:
    train: np.ndarray
    val: np.ndarray
    # Names the bytes rather than the spec's name for them; seeds the validation windows.
    corpus: str


class Batches:
    def __init__(self, sources: Mapping[str, Source], mix: Mapping[str, float],
                 batch_size: int, seq_len: int, device: torch.device | str):
        # Sorted, so the order sources are written in a spec cannot change a run.
        self.names = sorted(sources)
        self.batch_size, self.window, self.device = batch_size, seq_len + 1, device
        self._sources = [sources[name] for name in self.names]
        for name, source in zip(self.names, self._sources):
            for split, data in (("train", source.train), ("val", source.val)):
                if len(data) < self.window:
                    raise ValueError(
                        f"source {name!r} has {len(data)} {split} bytes, fewer than one window of "
                        f"seq_len + 1 = {self.window}"
                    )
        weights = np.array([mix.get(name, 0.0) for name in self.names])
        self._mix = weights / weights.sum()

    @classmethod
    def from_config(cls, cfg: DataConfig, seq_len: int, device: torch.device | str) -> Batches:
        sources = {
            name: Source(train=corpora.load_split(source.name, "train", cfg.val_fraction),
                         val=corpora.load_split(source.name, "val", cfg.val_fraction),
                         corpus=source.name)
            for name, source in cfg.sources.items()
        }
        return cls(sources, cfg.mix, cfg.batch_size, seq_len, device)

    def train_batch(self, seed: int, step: int) -> Batch:
        rng = np.random.default_rng([_TRAIN_STREAM, seed, step])
        sources = rng.choice(len(self.names), size=self.batch_size, p=self._mix)
        return self._windows(rng, [self._sources[i].train for i in sources])

    def val_batches(self, n_batches: int) -> dict[str, list[Batch]]:
        """`n_batches` fixed batches per source name."""
        batches = {}
        for name, source in zip(self.names, self._sources):
            rng = np.random.default_rng([_VAL_STREAM, _stable_int(source.corpus)])
            batches[name] = [self._windows(rng, [source.val] * self.batch_size)
                             for _ in range(n_batches)]
        return batches

    def _windows(self, rng: np.random.Generator, arrays: list[np.ndarray]) -> Batch:
        """One random window from each array."""
        starts = rng.integers(0, [len(data) - self.window + 1 for data in arrays])
        rows = np.stack([data[s:s + self.window] for data, s in zip(arrays, starts)])
        # Move bytes, widen on the device: 8x less to copy.
        tokens = torch.from_numpy(rows).to(self.device).long()
        return tokens[:, :-1], tokens[:, 1:]


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
