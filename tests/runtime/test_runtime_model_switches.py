"""The model's block switches (norm kind and placement, QK-norm, σReparam, RoPE, SwiGLU, tied
embeddings, biases, the llama preset): each builds the model it says, gives every new
parameter a parametrization role, and trains."""

import json
import re

import pytest
import torch
from pydantic import ValidationError

from runtime.config.model_size import parameter_count
from runtime.config.run import ModelConfig, ParametrizationConfig, RunConfig
from runtime.model.gpt import GPT
from runtime.model.rope import rotate
from runtime.train import train

SMALL = {"width": 32, "depth": 2, "head_dim": 16, "seq_len": 32}
SWITCHES = {
    "rmsnorm": {"norm": "rmsnorm"},
    "no-norm": {"norm": "none"},
    "post-norm": {"norm_placement": "post"},
    "qk-norm": {"qk_norm": True},
    "qk-rmsnorm": {"norm": "rmsnorm", "qk_norm": True},
    "sigma-reparam": {"sigma_reparam": True},
    "rope": {"position": "rope"},
    "swiglu": {"mlp": "swiglu"},
    "tied": {"tied_embeddings": True},
    "bias": {"bias": True},
    "llama": {"preset": "llama"},
    "everything": {"preset": "llama", "qk_norm": True, "sigma_reparam": True,
                   "tied_embeddings": True, "bias": True, "norm_placement": "post"},
}


def model(switches: dict, kind: str = "mup", **shape) -> GPT:
    torch.manual_seed(0)
    return GPT(ModelConfig(**{**SMALL, **shape, **switches}),
               ParametrizationConfig(kind=kind, base_width=16))


def tokens(n: int = 2, seq_len: int = 32) -> torch.Tensor:
    return torch.randint(0, 256, (n, seq_len), generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("name", ["defaults", *SWITCHES])
def test_the_config_counts_the_parameters_the_model_has(name):
    switches = SWITCHES.get(name, {})
    built = model(switches)
    count = parameter_count(ModelConfig(**SMALL, **switches))
    assert count.total == sum(p.numel() for p in built.parameters())
    lookups = {"tok_emb.weight", "pos_emb.weight"} - (
        {"tok_emb.weight"} if built.readout is None else set())
    assert count.lookup == sum(p.numel() for n, p in built.named_parameters() if n in lookups)


@pytest.mark.parametrize("name", SWITCHES)
def test_a_few_steps_of_each_switch_lower_the_loss(tiny, tmp_path, name):
    config = tiny(model={**SMALL, "depth": 1, **SWITCHES[name]}, budget={"steps": 20},
                  eval={"every": 20, "batches": 1})
    summary = train(config, tmp_path)
    assert summary["status"] == "completed", summary.get("error")
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    first, last = lines[0]["train_loss"], lines[-1]["train_loss"]
    assert last < first - 0.3, (first, last)


def test_new_parameters_have_roles_that_the_parametrization_scales():
    built = model(SWITCHES["everything"] | {"tied_embeddings": False}, width=64)
    rules = {rule.name: rule for rule in built.param_rules}
    m = 64 / 16
    gate = rules["blocks.0.mlp.gate.weight"]
    assert gate.role == "hidden" and gate.lr_mult == pytest.approx(1 / m)
    for name in ("blocks.0.mlp.up.bias", "blocks.0.attn.query_norm.weight",
                 "blocks.0.attn.key_norm.weight", "blocks.0.attn.proj.spectral.gamma",
                 "readout.spectral.gamma", "readout.bias", "blocks.1.ln2.weight"):
        rule = rules[name]
        assert (rule.role, rule.lr_mult, rule.wd_mult) == ("vector", 1.0, 0.0), name
    params = dict(built.named_parameters())
    assert torch.all(params["blocks.0.mlp.up.bias"] == 0)
    assert torch.all(params["blocks.0.attn.proj.spectral.gamma"] == 1)
    # Every parameter has a rule, so SP, muP and the other kinds reach each one.
    assert set(rules) == set(params)


def test_norm_none_has_no_norm_parameters_and_rmsnorm_only_gains():
    assert not [n for n, _ in model({"norm": "none"}).named_parameters() if "ln" in n]
    names = [n for n, _ in model({"norm": "rmsnorm"}).named_parameters() if "ln" in n]
    assert names and all(n.endswith(".weight") for n in names)


def test_post_norm_blocks_end_normalized():
    built = model({"norm_placement": "post"}, kind="sp")
    x = built.embed(tokens())
    out = built.blocks[0](x)
    # LayerNorm with its init gains 1 and biases 0: each position has mean 0 and variance 1.
    assert torch.allclose(out.mean(-1), torch.zeros(()), atol=1e-5)
    assert torch.allclose(out.var(-1, unbiased=False), torch.ones(()), atol=1e-3)
    assert not any(n.startswith("ln_f") for n, _ in built.named_parameters())


def test_qk_norm_normalizes_each_heads_queries_and_keys():
    built = model({"qk_norm": True, "norm": "rmsnorm"}, kind="sp")
    q, k, _ = built.blocks[0].attn.heads(torch.randn(2, 32, 32))
    # RMSNorm over head_dim with gains 1: every query and key has RMS 1.
    for t in (q, k):
        assert torch.allclose(t.pow(2).mean(-1).sqrt(), torch.ones(()), atol=1e-3)


def test_rope_scores_depend_only_on_relative_position():
    q, k = torch.randn(1, 1, 1, 16).expand(1, 1, 24, 16), torch.randn(1, 1, 1, 16).expand(
        1, 1, 24, 16)
    scores = rotate(q, 10000.0) @ rotate(k, 10000.0).transpose(-2, -1)
    # The same vectors at every position: the score of (i, j) is a function of i - j.
    for offset in (0, 3, -5):
        diagonal = torch.diagonal(scores[0, 0], offset)
        assert torch.allclose(diagonal, diagonal[0].expand_as(diagonal), atol=1e-4)
    assert not torch.allclose(torch.diagonal(scores[0, 0], 0)[0],
                              torch.diagonal(scores[0, 0], 3)[0])


def test_rope_replaces_learned_positions():
    built = model({"position": "rope"})
    assert built.pos_emb is None
    idx = tokens()
    changed = idx.clone()
    changed[:, 10] = (changed[:, 10] + 1) % 256
    assert torch.equal(built(idx)[:, :10], built(changed)[:, :10])  # still causal


def test_tied_readout_is_the_embedding_with_the_readout_multiplier():
    built = model({"tied_embeddings": True}, width=64)
    assert built.readout is None
    assert built.readout_mult == pytest.approx(1.0 / (64 / 16))  # muP: output_mult / m
    h = built.ln_f(built.blocks[1](built.blocks[0](built.embed(tokens()))))
    assert torch.allclose(built(tokens()), h @ built.tok_emb.weight.T * built.readout_mult)


def test_sigma_reparam_estimates_the_spectral_norm_by_carried_power_iteration(tiny):
    torch.manual_seed(0)
    config = tiny(model={**SMALL, "sigma_reparam": True})
    built = GPT(config.model, config.parametrization)
    layers = {name: m for name, m in built.named_modules() if getattr(m, "spectral", None)}
    assert set(layers) == {f"blocks.{i}.{n}" for i in range(2)
                           for n in ("attn.query", "attn.key_value", "attn.proj", "mlp.up",
                                     "mlp.down")} | {"readout"}

    def error() -> float:
        return max(abs(layer.spectral.sigma(layer.weight).item()
                       / torch.linalg.matrix_norm(layer.weight.detach(), 2).item() - 1)
                   for layer in layers.values())

    assert error() < 1e-5   # exact at init
    optimizer = torch.optim.AdamW(built.parameters(), lr=1e-3)
    idx = tokens(8, 33)
    gamma = built.blocks[0].mlp.up.spectral.gamma
    for _ in range(30):
        loss = torch.nn.functional.cross_entropy(built(idx[:, :-1]).flatten(0, 1),
                                                 idx[:, 1:].flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert gamma.item() != 1.0   # γ is learned
    # The weights moved under the estimate; each training pass advances it one iteration
    # from where the last one left it, so it settles on the new spectral norm.
    lagging = error()
    for _ in range(100):
        built(idx[:, :-1])
    assert error() < 1e-3 < lagging
    # Evaluation passes and passes without gradients use the estimate without advancing it.
    before = built.readout.spectral.u.clone()
    built.eval()
    built(idx[:, :-1])
    built.train()
    with torch.no_grad():
        built(idx[:, :-1])
    assert torch.equal(before, built.readout.spectral.u)


def test_sigma_reparam_makes_each_effective_matrix_norm_gamma():
    built = model({"sigma_reparam": True}, kind="sp")
    layer = built.blocks[0].mlp.up
    with torch.no_grad():
        layer.spectral.gamma.fill_(2.5)
    assert torch.linalg.matrix_norm(layer.matrix().detach(), 2).item() == pytest.approx(
        2.5, rel=1e-4)


def test_the_llama_preset_is_its_fields_and_written_fields_win():
    preset = ModelConfig(preset="llama")
    assert (preset.norm, preset.position, preset.mlp, preset.bias) == (
        "rmsnorm", "rope", "swiglu", False)
    assert ModelConfig(preset="llama", norm="layernorm").norm == "layernorm"
    by_preset = RunConfig(model={"preset": "llama"})
    by_fields = RunConfig(model={"norm": "rmsnorm", "position": "rope", "mlp": "swiglu"})
    assert by_preset.run_id() == by_fields.run_id()
    assert RunConfig(model={"preset": "gpt"}).run_id() == RunConfig().run_id()


@pytest.mark.parametrize(("switches", "message"), [
    ({"norm": "none", "qk_norm": True}, "qk_norm normalizes with the model's norm"),
    ({"position": "rope", "head_dim": 15, "width": 30}, "head_dim (15) must be even"),
    ({"preset": "mistral"}, "Input should be 'gpt' or 'llama'"),
])
def test_impossible_switches_are_errors(switches, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        ModelConfig(**switches)


@pytest.mark.slow
def test_torch_compile_trains_the_switches_to_the_same_curve(tiny, tmp_path):
    model = {**SMALL, "depth": 1, "preset": "llama", "qk_norm": True, "sigma_reparam": True}
    config = tiny(model=model, budget={"steps": 12}, eval={"every": 6, "diagnostics_every": 4})
    eager = train(config, tmp_path / "eager")
    compiled = train(config.model_copy(update={"execution": config.execution.model_copy(
        update={"compile": True})}), tmp_path / "compiled")
    assert compiled["status"] == "completed", compiled.get("error")
    for key, value in eager["final"].items():
        assert compiled["final"][key] == pytest.approx(value, rel=1e-4)
