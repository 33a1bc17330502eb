"""A run trains on its phases' mixes and evaluates every source at every eval step."""

from __future__ import annotations

import json
import math

import pytest
from data_helpers import markov

from runtime.train import train


@pytest.mark.slow
def test_continual_pretraining_logs_old_and_new_source_loss_side_by_side(tiny, tmp_path):
    old = markov(0, entropy=1.5)
    new = {"kind": "shifted", "base": old, "symbols": "all", "seed": 2}
    config = tiny(data={"batch_size": 8, "sources": {"old": old, "new": new},
                        "phases": {"pretrain": {"mix": {"old": 1.0}},
                                   "update": {"start": 0.5, "mix": {"new": 0.9, "old": 0.1}}}},
                  budget={"steps": 80}, eval={"every": 20, "batches": 2},
                  optimizer={"lr": 3e-2})
    summary = train(config, tmp_path)
    assert summary["status"] == "completed", summary.get("error")
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in records if "val_loss" in r]
    assert [r["step"] for r in evals] == [20, 40, 60, 80]
    for record in evals:
        for source in ("old", "new"):
            # Byte sources: one byte per token, so bits per byte are the loss in bits.
            assert record[f"val_bpb/{source}"] == pytest.approx(
                record[f"val_loss/{source}"] / math.log(2))
    pretrained, updated = evals[1], evals[-1]
    # Before the update the new language is unseen; training on it closes most of the gap.
    assert pretrained["val_loss/new"] - pretrained["val_loss/old"] > 0.3
    assert updated["val_loss/new"] < pretrained["val_loss/new"] - 0.3
    assert summary["final"]["val_bpb/new"] == evals[-1]["val_bpb/new"]
