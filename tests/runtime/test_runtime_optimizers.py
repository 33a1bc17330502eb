import importlib
import importlib.util
import math
import sys
import types
from pathlib import Path

import pytest
import torch

from runtime.config.run import ModelConfig, ParametrizationConfig, RunConfig
from runtime.model.gpt import GPT, param_table
from runtime.optim import build_optimizer, state_bytes
from runtime.optim.apollo import Apollo
from runtime.optim.chain import OptimizerChain
from runtime.optim.lion import Lion
from runtime.train import train

KINDS = ["adamw", "sgd", "lion", "muon", "apollo", "apollo-mini"]
LR = {"adamw": 1e-2, "sgd": 0.3, "lion": 3e-3, "muon": 2e-2, "apollo": 1e-2,
      "apollo-mini": 1e-2}


@pytest.mark.parametrize("kind", KINDS)
def test_every_optimizer_trains_and_reports_its_state_size(tiny, tmp_path, kind):
    summary = train(tiny(optimizer={"kind": kind, "lr": LR[kind]}), tmp_path)
    assert summary["status"] == "completed"
    assert summary["final"]["train_loss"] < 4.0  # from ln(256) = 5.5
    assert summary["optimizer_state_bytes"] > 0


def test_state_sizes_follow_the_algorithms(tiny, tmp_path):
    # APOLLO's rank of 8 is below the matrices' sides (32 and 128); its default of 256 is not.
    sizes = {kind: train(tiny(optimizer={"kind": kind, "lr": LR[kind]}
                              | ({"rank": 8} if kind == "apollo" else {}),
                              budget={"steps": 2}),
                         tmp_path / kind)["optimizer_state_bytes"] for kind in KINDS}
    params = train(tiny(budget={"steps": 1}), tmp_path / "n")["n_params"] * 4
    assert sizes["adamw"] == 2 * params           # two moments per number
    assert sizes["sgd"] == sizes["lion"] == params  # one momentum buffer
    # Low-rank moments on the hidden matrices: well under AdamW's.
    assert sizes["apollo-mini"] < sizes["apollo"] < sizes["adamw"]
    config = tiny()
    hidden = sum(math.prod(rule.shape) for rule in param_table(config.model, config.parametrization)
                 if rule.role == "hidden")
    # Rank 1: almost all of AdamW's moments of the hidden matrices are saved.
    assert sizes["adamw"] - sizes["apollo-mini"] > 0.9 * 2 * 4 * hidden


@pytest.mark.parametrize("kind", KINDS)
def test_per_role_multipliers_reach_every_optimizer(kind):
    config = RunConfig.model_validate({
        "model": {"width": 128, "depth": 1, "head_dim": 32},
        "parametrization": {"kind": "mup", "base_width": 32},
        "optimizer": {"kind": kind, "lr": 0.1, "weight_decay": 0.01}})
    model = GPT(config.model, config.parametrization)
    optimizer = build_optimizer(model, model.param_rules, config.optimizer)
    group_of = {id(p): g for g in optimizer.param_groups for p in g["params"]}
    params = dict(model.named_parameters())
    for rule in model.param_rules:
        group = group_of[id(params[rule.name])]
        assert group["lr"] == pytest.approx(0.1 * rule.lr_mult)
        assert group["weight_decay"] == pytest.approx(0.01 * rule.wd_mult)
    hidden = next(r for r in model.param_rules if r.role == "hidden")
    assert (hidden.lr_mult, hidden.wd_mult) == (0.25, 4.0)


@pytest.mark.parametrize("kind, matrices", [("muon", torch.optim.Muon), ("apollo", Apollo)])
def test_matrix_optimizers_take_the_hidden_matrices_and_adamw_the_rest(kind, matrices):
    model = GPT(ModelConfig(width=64, depth=1, head_dim=32), ParametrizationConfig())
    optimizer = build_optimizer(model, model.param_rules, RunConfig.model_validate(
        {"optimizer": {"kind": kind}}).optimizer)
    assert isinstance(optimizer, OptimizerChain)
    first, rest = optimizer.optimizers
    roles = model.roles()
    names = {id(p): name for name, p in model.named_parameters()}
    assert isinstance(first, matrices) and isinstance(rest, torch.optim.AdamW)
    assert {roles[names[id(p)]] for g in first.param_groups for p in g["params"]} == {"hidden"}
    assert "hidden" not in {roles[names[id(p)]] for g in rest.param_groups for p in g["params"]}


def test_lion_follows_its_update_rule():
    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.randn(5, 3))
    optimizer = Lion([p], lr=0.1, betas=(0.9, 0.99), weight_decay=0.5)
    expected, momentum = p.detach().clone(), torch.zeros(5, 3)
    for _ in range(3):
        grad = torch.randn(5, 3)
        p.grad = grad.clone()
        optimizer.step()
        update = torch.sign(0.9 * momentum + 0.1 * grad)
        expected = expected * (1 - 0.1 * 0.5) - 0.1 * update
        momentum = 0.99 * momentum + 0.01 * grad
        assert torch.allclose(p.detach(), expected, atol=1e-6)


@pytest.fixture
def reference_apollo(monkeypatch):
    """The reference implementation's optimizer module. Its package's __init__ also imports an
    8-bit optimizer that needs bitsandbytes; the module compared here does not, so the package
    is entered without running that __init__."""
    spec = importlib.util.find_spec("apollo_torch")
    if spec is None:
        pytest.skip("apollo-torch is not installed (scripts/setup.sh installs it)")
    package = types.ModuleType("apollo_torch")
    package.__path__ = [str(Path(spec.origin).parent)]
    monkeypatch.setitem(sys.modules, "apollo_torch", package)
    for name in ("apollo_torch.apollo", "apollo_torch.random_projector",
                 "apollo_torch.svd_projector"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return importlib.import_module("apollo_torch.apollo")


def shared_projection(rows: int, cols: int, rank: int, epoch: int) -> torch.Tensor:
    """One projection per (shape, epoch), for both implementations."""
    generator = torch.Generator().manual_seed(rows * 1000 + cols * 10 + epoch)
    shape = (rank, cols) if rows >= cols else (rows, rank)
    return torch.randn(shape, generator=generator) / rank ** 0.5


@pytest.mark.parametrize("shape", [(12, 8), (6, 10)], ids=["tall", "wide"])
@pytest.mark.parametrize("scaling, rank, scale", [("channel", 3, 1.0), ("tensor", 1, 128.0)],
                         ids=["apollo", "apollo-mini"])
def test_apollo_matches_the_reference_implementation(reference_apollo, monkeypatch, shape,
                                                     scaling, rank, scale):
    epochs: dict[tuple, int] = {}

    def theirs_projection(self, weights, rank, type, seed):
        key = tuple(weights.shape)
        epochs[key] = epochs.get(key, -1) + 1
        return shared_projection(*weights.shape, rank, epochs[key])

    monkeypatch.setattr(reference_apollo.GradientProjector, "get_orthogonal_matrix",
                        theirs_projection)
    monkeypatch.setattr(Apollo, "projection",
                        lambda self, p, rank, epoch: shared_projection(*p.shape, rank, epoch))
    torch.manual_seed(0)
    start = torch.randn(shape)
    ours_p, theirs_p = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    ours = Apollo([ours_p], lr=0.01, weight_decay=0.1, rank=rank, scaling=scaling,
                  scale=scale, projection_every=2)
    theirs = reference_apollo.AdamW(
        [{"params": [theirs_p], "rank": rank, "proj": "random", "scale_type": scaling,
          "scale": scale, "update_proj_gap": 2, "proj_type": "std"}],
        lr=0.01, weight_decay=0.1, no_deprecation_warning=True)
    for _ in range(5):
        grad = torch.randn(shape)
        ours_p.grad, theirs_p.grad = grad.clone(), grad.clone()
        ours.step()
        theirs.step()
    assert not torch.equal(ours_p.detach(), start)
    assert torch.allclose(ours_p.detach(), theirs_p.detach(), rtol=1e-5, atol=1e-7)


def test_apollo_projections_are_a_function_of_seed_parameter_and_epoch():
    p = torch.nn.Parameter(torch.zeros(8, 4))
    first, second = Apollo([p], seed=3), Apollo([p], seed=3)
    assert torch.equal(first.projection(p, 2, 5), second.projection(p, 2, 5))
    assert not torch.equal(first.projection(p, 2, 5), first.projection(p, 2, 6))
    assert not torch.equal(first.projection(p, 2, 5), Apollo([p], seed=4).projection(p, 2, 5))


def test_state_bytes_counts_the_state_tensors():
    p = torch.nn.Parameter(torch.zeros(10, 10))
    optimizer = torch.optim.AdamW([p])
    p.grad = torch.ones(10, 10)
    optimizer.step()
    assert state_bytes(optimizer) == 2 * 100 * 4  # exp_avg and exp_avg_sq, not the step
