"""Measurements a run can add without changing how it trains: sharpness (the top Hessian
eigenvalue) every K steps, and the validation loss of weight averages (EMA, the last k
checkpoints)."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from torch.func import functional_call
from torch.nn.attention import SDPBackend, sdpa_kernel

from runtime.config.run import ModelConfig, ParametrizationConfig
from runtime.config.training import EvalConfig
from runtime.diagnostics.sharpness import top_eigenvalue
from runtime.model.gpt import GPT
from runtime.results import run_dir
from runtime.train import train
from runtime.training.averaging import WeightAverages
from runtime.training.evaluation import loss_fn

ROOT = Path(__file__).resolve().parents[2]
TIMING = ("time_s", "tokens_per_s", "flops_per_s")


def metrics(out_dir) -> list[dict]:
    return [json.loads(line) for line in (out_dir / "metrics.jsonl").read_text().splitlines()]


def explicit_hessian(model: GPT, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]

    def loss(theta: torch.Tensor) -> torch.Tensor:
        params = dict(zip(names, theta.split([s.numel() for s in shapes])))
        return loss_fn(functional_call(model, {n: params[n].view(s) for n, s in
                                               zip(names, shapes)}, (x,)), y)

    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    with sdpa_kernel(SDPBackend.MATH):
        return torch.autograd.functional.hessian(loss, flat, vectorize=True)


@pytest.mark.parametrize(("seed", "model"), [
    (0, {}),
    (0, {"preset": "llama"}),
    # Here the Hessian's most negative eigenvalue is the largest in magnitude, which plain
    # power iteration would return instead of the top one.
    (1, {}),
])
def test_sharpness_is_the_top_eigenvalue_of_the_explicit_hessian(seed, model):
    torch.manual_seed(seed)
    gpt = GPT(ModelConfig(width=4, depth=1, head_dim=2, seq_len=4, vocab=8, **model),
              ParametrizationConfig(base_width=4)).double()
    idx = torch.randint(0, 8, (4, 5), generator=torch.Generator().manual_seed(seed))
    x, y = idx[:, :-1], idx[:, 1:]
    eigenvalues = torch.linalg.eigvalsh(explicit_hessian(gpt, x, y))
    top = eigenvalues[-1].item()
    # At the default of 20 Hessian-vector products.
    assert top_eigenvalue(gpt, x, y, None, iterations=20) == pytest.approx(top, rel=0.01)
    if seed == 1:
        assert -eigenvalues[0].item() > top


def test_sharpness_is_logged_every_k_steps_and_does_not_change_training(tiny, tmp_path):
    train(tiny(), tmp_path / "plain")
    train(tiny(eval={"sharpness": {"every": 15, "iterations": 10}}), tmp_path / "measured")
    plain, measured = metrics(tmp_path / "plain"), metrics(tmp_path / "measured")
    assert [r["step"] for r in measured if "sharpness" in r] == [15, 30, 40]
    assert all(r["sharpness"] > 0 for r in measured if "sharpness" in r)
    for a, b in zip(plain, measured):
        assert {k: v for k, v in a.items() if k not in TIMING} == {
            k: v for k, v in b.items() if k not in TIMING and k != "sharpness"}


def test_weight_averages_are_evaluated_as_their_own_metrics(tiny, tmp_path):
    config = tiny(eval={"every": 10, "batches": 2, "ema": 0.9, "average_last": 1,
                        "average_every": 20})
    train(config, tmp_path)
    records = {r["step"]: r for r in metrics(tmp_path) if "val_loss" in r}
    assert set(records) == {10, 20, 30, 40}
    assert all("val_loss/ema" in r for r in records.values())
    # The average of the last one checkpoint, taken at this very step, is the weights.
    assert records[20]["val_loss/avg_last"] == records[20]["val_loss"]
    assert records[40]["val_loss/avg_last"] == records[40]["val_loss"]
    assert records[30]["val_loss/avg_last"] != records[30]["val_loss"]
    assert "val_loss/avg_last" not in records[10]   # no checkpoint averaged yet
    # The EMA lags the weights while the loss falls.
    assert records[10]["val_loss/ema"] > records[10]["val_loss"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["final"]["val_loss/ema"] == records[40]["val_loss/ema"]


def test_with_several_sources_averages_are_scored_per_source_too(tiny, tmp_path):
    # A claim about data (a curriculum) reads one source's held-out loss, averaged weights
    # included: val_loss/avg_last/<source>, whose mean over sources is val_loss/avg_last.
    config = tiny(eval={"every": 20, "batches": 2, "average_last": 2, "average_every": 10},
                  data={"sources": {"code": {"kind": "builtin"},
                                    "prose": {"kind": "builtin", "name": "stdlib-prose"}},
                        "mix": {"code": 1.0, "prose": 0.0}})
    train(config, tmp_path)
    last = [r for r in metrics(tmp_path) if "val_loss" in r][-1]
    code, prose = last["val_loss/avg_last/code"], last["val_loss/avg_last/prose"]
    assert last["val_loss/avg_last"] == pytest.approx((code + prose) / 2)
    assert prose > code   # trained on code only
    assert code != last["val_loss/code"]   # the average of steps 30 and 40, not the weights
    assert "val_loss/ema/code" not in last   # no EMA asked for


def test_the_ema_is_the_exponential_average_of_the_weights():
    layer = torch.nn.Linear(3, 2)
    start = [p.detach().clone() for p in layer.parameters()]
    averages = WeightAverages(layer, EvalConfig(ema=0.5, average_last=2, average_every=1))
    steps = []
    for step in (1, 2, 3):
        with torch.no_grad():
            for p in layer.parameters():
                p.add_(1.0)
        steps.append([p.detach().clone() for p in layer.parameters()])
        averages.after_step(step)
    expected = [((s * 0.5 + a * 0.5) * 0.5 + b * 0.5) * 0.5 + c * 0.5
                for s, a, b, c in zip(start, *steps)]
    for got, want in zip(averages.ema, expected):
        assert torch.allclose(got, want)
    last_two = dict(averages._averages())["avg_last"]
    for got, b, c in zip(last_two, steps[1], steps[2]):
        assert torch.allclose(got, (b + c) / 2)


def test_a_stopped_run_resumes_its_averages_and_measurements_exactly(tiny, tmp_path):
    config = tiny(eval={"every": 10, "batches": 2, "ema": 0.95, "average_last": 2,
                        "sharpness": {"every": 20, "iterations": 5}},
                  execution={"checkpoint_minutes": 0})
    stop = threading.Event()

    def stop_at_20(record: dict) -> None:
        if record["step"] == 20:
            stop.set()

    first = train(config, tmp_path / "resumed", on_eval=stop_at_20, stop=stop)
    assert first["status"] == "unfinished"
    assert train(config, tmp_path / "resumed")["status"] == "completed"
    train(config, tmp_path / "straight")

    def strip(records):
        return [{k: v for k, v in r.items() if k not in TIMING} for r in records]
    assert strip(metrics(tmp_path / "resumed")) == strip(metrics(tmp_path / "straight"))


@pytest.mark.slow
def test_two_processes_measure_what_one_does(tiny, tmp_path):
    """Under data parallelism the Hessian is the whole batch's, the averages and σReparam's
    estimates agree across processes, and full-batch training splits the one fixed set."""
    config = tiny(model={"sigma_reparam": True}, data={"full_batch": True},
                  budget={"steps": 20}, eval={"every": 10, "diagnostics_every": 0, "ema": 0.9,
                                              "sharpness": {"every": 10, "iterations": 5}})
    job = tmp_path / f"{config.run_id()}.json"
    job.write_text(config.model_dump_json())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    curves = []
    for processes in (1, 2):
        results = tmp_path / f"p{processes}"
        done = subprocess.run(
            [sys.executable, "-m", "torch.distributed.run", "--standalone",
             f"--nproc_per_node={processes}", "-m", "runtime.train", str(job), "--results",
             str(results)], env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        curves.append(metrics(run_dir(results, config.run_id())))
    one, two = curves
    for single, parallel in zip(one, two):
        for key in ("train_loss", "val_loss", "val_loss/ema", "sharpness"):
            if key in single:
                assert parallel[key] == pytest.approx(single[key], rel=1e-4, abs=1e-5), key
    assert [r["step"] for r in two if "sharpness" in r] == [10, 20]
