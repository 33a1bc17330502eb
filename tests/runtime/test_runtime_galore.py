"""GaLore against its reference implementation (`galore-torch`), and as a run's optimizer."""

import importlib
import importlib.util
import json
import sys
import types
from pathlib import Path

import pytest
import torch

from runtime.optim.galore import GaLore
from runtime.train import train


@pytest.fixture
def reference_galore(monkeypatch):
    """The reference implementation's AdamW module. Its package's __init__ also imports an
    8-bit optimizer that needs bitsandbytes (a CUDA wheel); the module compared here does not,
    so the package is entered without running that __init__."""
    spec = importlib.util.find_spec("galore_torch")
    if spec is None:
        pytest.skip("galore-torch is not installed (scripts/setup.sh installs it)")
    package = types.ModuleType("galore_torch")
    package.__path__ = [str(Path(spec.origin).parent)]
    monkeypatch.setitem(sys.modules, "galore_torch", package)
    for name in ("galore_torch.adamw", "galore_torch.galore_projector"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module("galore_torch.adamw")


@pytest.mark.parametrize("shape", [(12, 8), (6, 10)], ids=["tall", "wide"])
def test_galore_matches_the_reference_implementation(reference_galore, shape):
    torch.manual_seed(0)
    start = torch.randn(shape)
    ours_p, theirs_p = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    ours = GaLore([ours_p], lr=0.01, weight_decay=0.1, rank=3, projection_every=2, scale=0.25)
    theirs = reference_galore.AdamW(
        [{"params": [theirs_p], "rank": 3, "update_proj_gap": 2, "scale": 0.25,
          "proj_type": "std"}], lr=0.01, weight_decay=0.1, no_deprecation_warning=True)
    for _ in range(5):   # three projections: steps 0, 2 and 4
        grad = torch.randn(shape)
        ours_p.grad, theirs_p.grad = grad.clone(), grad.clone()
        ours.step()
        theirs.step()
    assert not torch.equal(ours_p.detach(), start)
    assert torch.allclose(ours_p.detach(), theirs_p.detach(), rtol=1e-5, atol=1e-6)


def test_a_galore_run_trains_with_low_rank_moments(tiny, tmp_path):
    adamw = train(tiny(budget={"steps": 30}), tmp_path / "adamw")
    galore = train(tiny(optimizer={"kind": "galore", "rank": 4, "projection_every": 10,
                                   "lr": 1e-2}, budget={"steps": 30}), tmp_path / "galore")
    assert galore["status"] == "completed", galore.get("error")
    lines = [json.loads(line) for line in
             (tmp_path / "galore" / "metrics.jsonl").read_text().splitlines()]
    assert lines[-1]["train_loss"] < lines[0]["train_loss"] - 1.0
    # Each hidden matrix's two moments are rank 4 on its longer side instead of full, and
    # it keeps its projection (rank 4 on its shorter side); everything else is AdamW's.
    hidden = [(32, 32), (64, 32), (32, 32), (128, 32), (32, 128)]   # attention, MLP
    full = sum(2 * m * n for m, n in hidden)
    low_rank = sum(2 * 4 * max(m, n) + 4 * min(m, n) for m, n in hidden)
    assert adamw["optimizer_state_bytes"] - galore["optimizer_state_bytes"] == 4 * (
        full - low_rank)
