"""The CUDA path, on a machine with a GPU: bf16 autocast, the flash attention kernel, fused
AdamW, torch.compile and nccl data parallelism, each through a real (tiny) training run.

Skipped where torch sees no GPU; `benchmarks/gpu_check.sh` runs them where it does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from runtime.config.run import RunConfig
from runtime.model.gpt import GPT
from runtime.optim import build_optimizer
from runtime.train import train
from runtime.training.device import pick

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine"),
]


def config(**execution: object) -> RunConfig:
    return RunConfig.model_validate({
        "model": {"width": 128, "depth": 2, "head_dim": 64, "seq_len": 256},
        "optimizer": {"lr": 3e-3},
        "data": {"batch_size": 16},
        "budget": {"steps": 30},
        "eval": {"every": 15, "batches": 2},
        "execution": execution,
    })


def test_a_run_trains_on_the_gpu_in_bf16_and_reports_mfu(tmp_path: Path) -> None:
    summary = train(config(), tmp_path)
    assert summary["status"] == "completed", summary.get("error")
    assert summary["final"]["val_loss"] < 5.5  # below uniform over bytes, ln 256 = 5.55
    assert summary["peak_memory_bytes"] > 0
    assert 0 < summary.get("mfu", 0.5) < 1


def test_autocast_multiplies_in_bf16_and_keeps_fp32_weights() -> None:
    device = pick(None)
    model = GPT(config().model, config().parametrization).to(device.device)
    x = torch.randint(0, 256, (2, 32), device=device.device)
    with device.autocast():
        logits = model(x)
    assert logits.dtype == torch.bfloat16
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_attention_runs_on_the_flash_kernel() -> None:
    from torch.nn.attention import SDPBackend, sdpa_kernel

    device = pick(None)
    model = GPT(config().model, config().parametrization).to(device.device)
    x = torch.randint(0, 256, (2, 256), device=device.device)
    # Allowed only the flash kernel, attention raises if it cannot use it.
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION]), device.autocast():
        model(x).float().sum().backward()


def test_adamw_uses_the_fused_kernel() -> None:
    device = pick(None)
    cfg = config()
    model = GPT(cfg.model, cfg.parametrization).to(device.device)
    optimizer = build_optimizer(model, model.param_rules, cfg.optimizer, fused=True)
    assert optimizer.defaults["fused"] is True
    with device.autocast():
        model(torch.randint(0, 256, (2, 32), device=device.device)).float().sum().backward()
    optimizer.step()


def test_a_compiled_run_matches_the_eager_one(tmp_path: Path) -> None:
    eager = train(config(), tmp_path / "eager")
    compiled = train(config(compile=True), tmp_path / "compiled")
    assert compiled["status"] == "completed", compiled.get("error")
    assert compiled["final"]["val_loss"] == pytest.approx(eager["final"]["val_loss"], rel=0.02)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="nccl DDP needs two GPUs")
def test_nccl_data_parallel_matches_one_process(tmp_path: Path) -> None:
    cfg = config()
    job = tmp_path / "job.json"
    job.write_text(cfg.model_dump_json())
    single = train(cfg, tmp_path / "one")
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                    "--nproc_per_node=2", "-m", "runtime.train", str(job),
                    "--results", str(tmp_path / "two")], check=True, cwd=ROOT, timeout=600,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    summary = json.loads((tmp_path / "two" / "runs" / cfg.run_id() / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["world_size"] == 2
    assert summary["final"]["val_loss"] == pytest.approx(single["final"]["val_loss"], rel=0.02)
