"""The mix plan: how many of each step's sequences come from each source.

Each phase gives every step planned shares p(step) (its weights, or temperature sampling).
They become whole sequences so that, from the phase's start, each source's running count
stays within one sequence of its running share sum(p * batch_size): realised proportions are
exact to a sequence or two in every phase, at any batch size, and a source with share 0
gets none. The plan is a function of the config alone, so the batch of any step is known
without drawing the steps before it (what resuming and sharding rely on).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from runtime.config.data import DataConfig, MixConfig


@dataclass(frozen=True)
class PlannedPhase:
    name: str
    first: int             # first step
    end: int               # one past the last step
    shares: np.ndarray     # (end - first, sources): planned probabilities per step

    @property
    def mean_shares(self) -> np.ndarray:
        return self.shares.mean(axis=0)


class MixPlan:
    def __init__(self, data: DataConfig, names: list[str], steps: int, seq_len: int,
                 train_tokens: Mapping[str, int]):
        self.names, self.steps, self.batch_size = names, steps, data.batch_size
        starts = data.phase_starts(steps, seq_len)
        mixes = data.mixes()
        ends = [*list(starts.values())[1:], steps]
        sizes = np.array([train_tokens[name] for name in names], dtype=np.float64)
        self.phases = [PlannedPhase(name, first, end,
                                    _shares(mixes[name], names, sizes, end - first))
                       for (name, first), end in zip(starts.items(), ends)]
        self.counts = np.concatenate([_allocate(p.shares, self.batch_size)
                                      for p in self.phases])
        # Draws from each source before each step (row `steps` is the run's total).
        self.before = np.zeros((steps + 1, len(names)), dtype=np.int64)
        np.cumsum(self.counts, axis=0, out=self.before[1:])

    @property
    def total_draws(self) -> np.ndarray:
        return self.before[-1]


def _shares(mix: MixConfig, names: list[str], sizes: np.ndarray, steps: int) -> np.ndarray:
    if mix.mix is not None:
        weights = np.array([mix.mix.get(name, 0.0) for name in names])
        return np.tile(weights / weights.sum(), (steps, 1))
    low, high = (mix.temperature, mix.temperature) if isinstance(mix.temperature, float) \
        else mix.temperature
    temperatures = np.linspace(low, high, steps) if steps > 1 else np.array([low])
    included = np.array([name in (mix.over or names) for name in names])
    # p proportional to n ** (1 / temperature), computed in log space.
    logits = np.where(included, np.log(sizes)[None, :] / temperatures[:, None], -np.inf)
    shares = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shares / shares.sum(axis=1, keepdims=True)


def _allocate(shares: np.ndarray, batch_size: int) -> np.ndarray:
    """Whole sequences per step and source whose running sums track the running shares."""
    quota = shares * batch_size
    if (shares == shares[0]).all() and np.allclose(quota[0], np.round(quota[0])):
        return np.tile(np.round(quota[0]).astype(np.int64), (len(shares), 1))
    targets = np.cumsum(quota, axis=0).tolist()
    active = [i for i, p in enumerate(shares[0]) if p > 0]
    counts = np.zeros(shares.shape, dtype=np.int64)
    taken = [0] * shares.shape[1]
    for step, target in enumerate(targets):
        deficit = {i: target[i] - taken[i] for i in active}
        given = {i: max(0, math.floor(d)) for i, d in deficit.items()}
        missing = batch_size - sum(given.values())
        # The rest go to the sources furthest behind (ties to the first source).
        for i in sorted(active, key=lambda i: given[i] - deficit[i])[:missing]:
            given[i] += 1
        for i, n in given.items():
            counts[step, i] = n
            taken[i] += n
    return counts
