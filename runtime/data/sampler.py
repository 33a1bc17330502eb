"""The sampler: which tokens each step trains on, and the fixed validation windows.

A step's batch is `batch_size` windows of seq_len + 1 tokens. The mix plan (mixing.py) says
how many come from each source; each source's stream (streams.py) says which windows its
next draws are; a permutation seeded by (seed, step) interleaves the sources within the
batch. All three are pure functions, so the batch of a step depends on (seed, step) alone:
a resumed run draws what the uninterrupted run would have, and rank r of W data-parallel
processes takes rows [r * B / W, (r + 1) * B / W) of the same batch, so ranks never overlap
and together see exactly the single-process batch.

A run that starts from another run's checkpoint at step S counts steps on from S. Its
phases start over with it, like its schedule, and its streams continue past every draw the
earlier run can have made (S * batch_size per source), so it does not train on the same
windows again.

Validation windows are drawn once per source from a generator keyed by the source's data,
independent of the run's seed, so every run that evaluates a source scores the same tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runtime.config.data import DataConfig
from runtime.data.mixing import MixPlan
from runtime.data.sources.prepare import prepare
from runtime.data.sources.store import Prepared, Split
from runtime.data.streams import Stream

# Tags that keep the train and validation random streams apart whatever the seeds.
_TRAIN_STREAM, _VAL_STREAM = 0, 1


@dataclass(frozen=True)
class Rows:
    """One rank's rows of a step's batch: each row's source (index into `names`) and
    draw index in that source's stream."""

    sources: np.ndarray
    draws: np.ndarray


class Sampler:
    def __init__(self, data: DataConfig, steps: int, seq_len: int, first_step: int = 0):
        # Sorted, so the order sources are written in a spec cannot change a run.
        self.names = sorted(data.sources)
        self.configs = [data.sources[name] for name in self.names]
        self.prepared: list[Prepared] = [prepare(source, data.val_fraction)
                                         for source in self.configs]
        self.batch_size, self.seq_len = data.batch_size, seq_len
        self.first_step, self.steps = first_step, steps
        self.plan = MixPlan(data, self.names, steps, seq_len,
                            {name: len(p.train.tokens) for name, p in zip(self.names,
                                                                          self.prepared)})
        self.streams = [Stream(name, p.train, source, seq_len, int(total))
                        for name, p, source, total in zip(self.names, self.prepared,
                                                          self.configs, self.plan.total_draws)]
        for name, p in zip(self.names, self.prepared):
            _check_window(name, "val", p.val, seq_len + 1)
        self.dtype = np.result_type(*(p.train.tokens.dtype for p in self.prepared))
        self.loss_weights = np.array([source.loss_weight for source in self.configs])
        # The last rows drawn: a training step asks for them twice (tokens, loss weights).
        self._last: tuple[tuple[int, int, int, int], Rows] | None = None

    def rows(self, seed: int, step: int, rank: int = 0, world_size: int = 1) -> Rows:
        key = (seed, step, rank, world_size)
        if self._last is None or self._last[0] != key:
            self._last = key, self._rows(seed, step, rank, world_size)
        return self._last[1]

    def _rows(self, seed: int, step: int, rank: int, world_size: int) -> Rows:
        local = step - self.first_step
        if not 0 <= local < self.steps:
            raise ValueError(f"step {step} is outside the run's steps {self.first_step} to "
                             f"{self.first_step + self.steps - 1}")
        if self.batch_size % world_size or not 0 <= rank < world_size:
            raise ValueError(f"a batch of {self.batch_size} sequences cannot be split evenly "
                             f"over {world_size} ranks (rank {rank})")
        counts = self.plan.counts[local]
        sources = np.repeat(np.arange(len(self.names)), counts)
        first_row_of_source = np.cumsum(counts) - counts
        draws = (self.first_step * self.batch_size + self.plan.before[local][sources]
                 + np.arange(self.batch_size) - first_row_of_source[sources])
        order = np.random.default_rng([_TRAIN_STREAM, seed, step]).permutation(self.batch_size)
        share = self.batch_size // world_size
        mine = order[rank * share:(rank + 1) * share]
        return Rows(sources[mine], draws[mine])

    def train_tokens(self, seed: int, step: int, rank: int = 0,
                     world_size: int = 1) -> tuple[np.ndarray, Rows]:
        """(rows, seq_len + 1) token ids of this rank's part of the step's batch."""
        rows = self.rows(seed, step, rank, world_size)
        tokens = np.empty((len(rows.sources), self.seq_len + 1), dtype=self.dtype)
        for index in np.unique(rows.sources):
            mine = rows.sources == index
            tokens[mine] = self.streams[index].windows(seed, rows.draws[mine])
        return tokens, rows

    def val_tokens(self, name: str, n_windows: int) -> np.ndarray:
        """The source's first `n_windows` fixed validation windows."""
        prepared = self.prepared[self.names.index(name)]
        tokens, window = prepared.val.tokens, self.seq_len + 1
        data_digest = int(prepared.key.rsplit("-", 1)[1], 16)
        rng = np.random.default_rng([_VAL_STREAM, data_digest])
        starts = rng.integers(0, len(tokens) - window + 1, size=n_windows)
        return tokens[starts[:, None] + np.arange(window)]

    def bytes_per_token(self, name: str) -> float | None:
        """UTF-8 bytes per token of the source's validation text, None when unknown."""
        val = self.prepared[self.names.index(name)].val
        return val.text_bytes / len(val.tokens) if val.text_bytes else None


def _check_window(name: str, split: str, data: Split, window: int) -> None:
    if len(data.tokens) < window:
        raise ValueError(f"source {name!r} has {len(data.tokens)} {split} tokens, fewer than "
                         f"one window of seq_len + 1 = {window}")
