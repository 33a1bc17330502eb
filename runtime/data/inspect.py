"""What a run will train on, as plain data: each source's size, split and cache, and per
phase the planned and the realised share of each source, with decoded samples.

`claimlab data` prints it (claimlab/commands/data.py); everything is read from the same sampler
the run trains with, so the realised shares are the batches the run will draw.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runtime.config.run import RunConfig
from runtime.data.sampler import Sampler
from runtime.data.sources.prepare import data_fields
from runtime.data.sources.user import decode


def describe_data(config: RunConfig, batches: int = 100, samples: int = 2) -> dict[str, Any]:
    """The run's data; realised shares over the first `batches` batches of each phase, and
    `samples` decoded windows per source and phase."""
    steps, seq_len = config.budget.steps, config.model.seq_len
    sampler = Sampler(config.data, steps, seq_len, config.first_step)
    return {
        "steps": steps,
        "batch_size": config.data.batch_size,
        "seq_len": seq_len,
        "seed": config.seed,
        "sources": [_source(sampler, i) for i in range(len(sampler.names))],
        "phases": [_phase(sampler, config.seed, phase, batches, samples)
                   for phase in sampler.plan.phases],
    }


def _source(sampler: Sampler, index: int) -> dict[str, Any]:
    name, source = sampler.names[index], sampler.configs[index]
    prepared, stream = sampler.prepared[index], sampler.streams[index]
    draws = int(sampler.plan.total_draws[index])
    return {
        "name": name,
        "source": data_fields(source),
        "order": source.order,
        "loss_weight": source.loss_weight,
        "vocab_size": prepared.vocab_size,
        "train": {"tokens": len(prepared.train.tokens), "documents": prepared.train.documents},
        "val": {"tokens": len(prepared.val.tokens), "documents": prepared.val.documents},
        "used_train_tokens": len(stream.tokens),
        "bytes_per_token": sampler.bytes_per_token(name),
        "cache": str(prepared.location),
        "draws": draws,
        # Random windows are drawn independently: they have no epochs.
        "epochs": None if source.order == "random" else stream.epochs(draws),
    }


def _phase(sampler: Sampler, seed: int, phase, batches: int, samples: int) -> dict[str, Any]:
    first = sampler.first_step + phase.first
    steps = range(first, min(sampler.first_step + phase.end, first + batches))
    counts = np.zeros(len(sampler.names), dtype=np.int64)
    found: dict[str, list[str]] = {name: [] for name in sampler.names}
    for step in steps:
        tokens, rows = sampler.train_tokens(seed, step)
        counts += np.bincount(rows.sources, minlength=len(sampler.names))
        for row, index in zip(tokens, rows.sources):
            name = sampler.names[index]
            if len(found[name]) < samples:
                found[name].append(decode(row, sampler.prepared[index].tokenizer))
    tokens_per_step = sampler.batch_size * sampler.seq_len
    return {
        "name": phase.name,
        "first_step": first,
        "last_step": sampler.first_step + phase.end - 1,
        "first_token": first * tokens_per_step,
        "batches_realised": len(steps),
        "planned": dict(zip(sampler.names, phase.mean_shares.tolist())),
        "realised": dict(zip(sampler.names, (counts / max(1, counts.sum())).tolist())),
        "samples": {name: texts for name, texts in found.items() if texts},
    }
