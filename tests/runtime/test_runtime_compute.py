"""FLOPs accounting, model FLOP utilisation, and torch.compile (the GPU path's parts that can
be checked on a CPU)."""

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from runtime.config.run import ModelConfig, ParametrizationConfig
from runtime.model.flops import flops_per_token, peak_flops
from runtime.model.gpt import GPT
from runtime.train import train


@pytest.mark.parametrize("model", [
    ModelConfig(width=64, depth=2, head_dim=16, seq_len=32),
    ModelConfig(width=96, depth=3, head_dim=32, mlp_ratio=2, seq_len=48),
])
def test_flops_per_token_counts_what_a_training_step_multiplies(model):
    gpt = GPT(model, ParametrizationConfig())
    idx = torch.randint(0, 256, (2, model.seq_len))
    # The math attention kernel runs as matmuls the counter sees (full T x T, as we count).
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        F.cross_entropy(gpt(idx).flatten(0, 1), idx.flatten()).backward()
    assert flops_per_token(model) == counter.get_total_flops() / idx.numel()


def test_peak_flops_by_device_name(monkeypatch):
    monkeypatch.delenv("CLAIMLAB_PEAK_FLOPS", raising=False)
    assert peak_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert peak_flops("NVIDIA H100 PCIe") == 756e12
    assert peak_flops("NVIDIA A100-SXM4-80GB") == 312e12
    assert peak_flops("Some Future Accelerator") is None and peak_flops(None) is None
    monkeypatch.setenv("CLAIMLAB_PEAK_FLOPS", "2e12")
    assert peak_flops(None) == 2e12


def test_summary_reports_mfu_against_a_known_peak(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMLAB_PEAK_FLOPS", "1e11")  # how a user states a CPU's peak
    summary = train(tiny(budget={"steps": 5}), tmp_path)
    assert summary["mfu"] == pytest.approx(summary["flops_per_s"] / 1e11)
    assert 0 < summary["mfu"] < 1


@pytest.mark.slow
def test_torch_compile_trains_the_same_curve(tiny, tmp_path):
    config = tiny(budget={"steps": 12}, eval={"every": 6, "diagnostics_every": 4})
    eager = train(config, tmp_path / "eager")
    compiled = train(config.model_copy(update={"execution": config.execution.model_copy(
        update={"compile": True})}), tmp_path / "compiled")
    assert compiled["status"] == "completed" and compiled["id"] == eager["id"]
    for key, value in eager["final"].items():
        assert compiled["final"][key] == pytest.approx(value, rel=1e-4)
