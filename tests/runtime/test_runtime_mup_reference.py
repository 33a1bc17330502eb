"""muP as built here against the `mup` package's own muP on the same model.

The package is installed by scripts/setup.sh (`pip install --no-deps mup`: its declared
dependencies would pull torchvision and CUDA torch; it imports only torch and pyyaml).
What it is compared on: the per-parameter learning rate and weight decay MuAdamW gives, the
init std its initializers draw at each width, the readout multiplier, the logits at init on
the same weights, and a few steps of training; each for the default GPT blocks and for the
`llama` preset (RMSNorm gains, RoPE, SwiGLU's gate matrix).
"""

import contextlib
import io
import json

import pytest
import torch
import torch.nn.functional as F
import yaml

from claimlab.main import main
from compiler import compile_spec
from runtime.config.run import ModelConfig, ParametrizationConfig, RunConfig
from runtime.model.gpt import GPT
from runtime.optim import build_optimizer

mup = pytest.importorskip("mup")

BASE_WIDTH, BASE_HEAD_DIM = 32, 16
WIDTHS = (64, 128, 256)
PRESETS = ("gpt", "llama")
OPTIMIZER = {"lr": 1e-2, "weight_decay": 0.1, "grad_clip": 0.0, "betas": (0.9, 0.95)}
PARAMETRIZATION = {"kind": "mup", "base_width": BASE_WIDTH, "base_head_dim": BASE_HEAD_DIM,
                   "output_mult": 2.0, "init_scale": 0.7, "embedding_std": 0.5}


def model_config(width: int, preset: str = "gpt") -> ModelConfig:
    # Two heads whose size grows with width, so the attention's 1/d scaling is exercised.
    return ModelConfig(width=width, depth=2, head_dim=width // 2, seq_len=32, preset=preset)


def sp(width: int) -> ParametrizationConfig:
    return ParametrizationConfig(**{**PARAMETRIZATION, "kind": "sp"})


def reference(width: int, dtype: torch.dtype = torch.float32, preset: str = "gpt") -> GPT:
    """The package's muP on our SP model: MuReadout, the attention's attn_mult / head_dim (as
    in the package's Transformer example), and set_base_shapes against the base width."""
    model = GPT(model_config(width, preset), sp(width)).to(dtype)
    model.readout = mup.MuReadout(width, 256, bias=False,
                                  output_mult=PARAMETRIZATION["output_mult"]).to(dtype)
    head_dim = width // 2
    for block in model.blocks:
        block.attn.scale = BASE_HEAD_DIM ** 0.5 / head_dim
    with torch.device("meta"):
        base = GPT(model_config(BASE_WIDTH, preset), sp(BASE_WIDTH))
    mup.set_base_shapes(model, base, rescale_params=False)
    return model


def reference_optimizer(model: GPT) -> torch.optim.Optimizer:
    roles = model.roles()
    # Gains and biases are not decayed here; tell the package the same.
    vectors = [p for name, p in model.named_parameters() if roles[name] == "vector"]
    others = [p for name, p in model.named_parameters() if roles[name] != "vector"]
    return mup.MuAdamW([{"params": others}, {"params": vectors, "weight_decay": 0.0}],
                       lr=OPTIMIZER["lr"], betas=OPTIMIZER["betas"],
                       weight_decay=OPTIMIZER["weight_decay"])


def drawn_std(p: torch.nn.Parameter, base_std: float) -> float:
    """The std mup.init.normal_(std=base_std) draws for `p`: its draw over a unit draw from
    the same generator state, which is exact up to rounding."""
    torch.manual_seed(0)
    mup.init.normal_(p, std=base_std)
    torch.manual_seed(0)
    unit = torch.empty_like(p).normal_()
    return (p.detach().double().norm() / unit.double().norm()).item()


@pytest.fixture(scope="module", params=PRESETS)
def preset(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def ours(tmp_path_factory, preset) -> dict[int, dict[str, dict]]:
    """`claimlab params --json` for each width of a spec sweeping model.width."""
    spec = tmp_path_factory.mktemp("spec") / "mup.yaml"
    model = {"depth": 2, "head_dim": WIDTHS[0] // 2, "seq_len": 32, "preset": preset}
    spec.write_text(yaml.safe_dump({
        "name": "mup-reference",
        "base": {"model": model, "optimizer": OPTIMIZER, "parametrization": PARAMETRIZATION},
        "sweep": {"zip": [{"model.width": list(WIDTHS),
                           "model.head_dim": [w // 2 for w in WIDTHS]}]},
    }))
    return {width: _params(spec, width) for width in WIDTHS}


def _params(spec, width: int) -> dict[str, dict]:
    run = next(r for r in compile_spec(spec).plan.runs if r.config.model.width == width)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["params", str(spec), "--run", run.id, "--json"]) == 0
    return {row["name"]: row for row in json.loads(out.getvalue())}


@pytest.mark.parametrize("width", WIDTHS)
def test_learning_rate_and_weight_decay_match_mu_adamw(ours, preset, width):
    model = reference(width, preset=preset)
    optimizer = reference_optimizer(model)
    group_of = {id(p): g for g in optimizer.param_groups for p in g["params"]}
    for name, p in model.named_parameters():
        group = group_of[id(p)]
        assert ours[width][name]["lr"] == pytest.approx(group["lr"], rel=1e-6), name
        assert ours[width][name]["weight_decay"] == pytest.approx(
            group["weight_decay"], rel=1e-6, abs=1e-12), name
    # The check can fail: hidden matrices do move off the global values.
    assert ours[width]["blocks.0.mlp.up.weight"]["lr"] == pytest.approx(
        OPTIMIZER["lr"] * BASE_WIDTH / width)


@pytest.mark.parametrize("width", WIDTHS)
def test_init_std_and_readout_multiplier_match_the_package(ours, preset, width):
    base = ours_at_base_width(preset)
    model = reference(width, torch.float64, preset)
    roles = model.roles()
    for name, p in model.named_parameters():
        if roles[name] == "vector":
            assert ours[width][name]["init_std"] == 0.0
            continue
        expected = drawn_std(p, base[name])
        assert ours[width][name]["init_std"] == pytest.approx(expected, rel=1e-6), name
    readout = model.readout
    assert ours[width]["readout.weight"]["multiplier"] == pytest.approx(
        readout.output_mult / readout.width_mult(), rel=1e-6)


def ours_at_base_width(preset: str) -> dict[str, float]:
    """Each parameter's std at base width, where every parametrization is SP: what a user of
    the package passes to mup.init."""
    model = model_config(BASE_WIDTH, preset)
    base = GPT(model, ParametrizationConfig(**PARAMETRIZATION)).param_rules
    return {rule.name: rule.init_std for rule in base}


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("width", WIDTHS)
def test_logits_match_at_init_on_the_same_weights(width, preset):
    torch.manual_seed(width)
    config = model_config(width, preset)
    model = GPT(config, ParametrizationConfig(**PARAMETRIZATION)).double()
    ref = reference(width, torch.float64, preset)
    ref.load_state_dict(model.state_dict())
    idx = torch.randint(0, 256, (2, config.seq_len), generator=torch.Generator().manual_seed(1))
    assert torch.allclose(model(idx), ref(idx), rtol=1e-9, atol=1e-12)


def losses(model: GPT, optimizer, steps: int) -> list[float]:
    generator = torch.Generator().manual_seed(0)
    out = []
    for _ in range(steps):
        idx = torch.randint(0, 256, (4, 33), generator=generator)
        loss = F.cross_entropy(model(idx[:, :-1]).flatten(0, 1), idx[:, 1:].flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        out.append(loss.item())
    return out


@pytest.mark.parametrize("preset", PRESETS)
def test_mup_trains_like_the_reference_package(preset):
    width = 128
    torch.manual_seed(0)
    config = RunConfig.model_validate({"model": model_config(width, preset).model_dump(),
                                       "parametrization": PARAMETRIZATION,
                                       "optimizer": OPTIMIZER})
    model = GPT(config.model, config.parametrization)
    ref = reference(width, preset=preset)
    ref.load_state_dict(model.state_dict())
    ours = losses(model, build_optimizer(model, model.param_rules, config.optimizer), steps=8)
    theirs = losses(ref, reference_optimizer(ref), steps=8)
    assert ours == pytest.approx(theirs, rel=1e-5)
    # The check can fail: SP at this width does not train the same way.
    torch.manual_seed(0)
    plain = GPT(config.model, sp(width))
    sp_losses = losses(plain, build_optimizer(plain, plain.param_rules, config.optimizer), 8)
    assert sp_losses != pytest.approx(theirs, rel=1e-3)
