import pytest
import torch

from runtime.config.run import ModelConfig, ParametrizationConfig
from runtime.model.gpt import GPT

MODEL = ModelConfig(width=64, depth=2, head_dim=16, seq_len=32)


def build(kind: str, model: ModelConfig = MODEL, seed: int = 0, **param: object) -> GPT:
    torch.manual_seed(seed)
    return GPT(model, ParametrizationConfig(kind=kind, base_width=64, **param))


def tokens(model: ModelConfig = MODEL) -> torch.Tensor:
    return torch.randint(0, 256, (2, model.seq_len), generator=torch.Generator().manual_seed(1))


def test_logits_shape():
    assert build("sp")(tokens()).shape == (2, MODEL.seq_len, 256)


def test_prediction_depends_only_on_earlier_bytes():
    model, idx = build("sp"), tokens()
    changed = idx.clone()
    changed[:, 10] = (changed[:, 10] + 1) % 256
    before, after = model(idx), model(changed)
    assert torch.equal(before[:, :10], after[:, :10])
    assert not torch.allclose(before[:, 10:], after[:, 10:])


def test_sp_and_mup_are_the_same_model_at_base_width():
    # Base width and base head_dim: every multiplier is 1 and both attention scales agree.
    options = {"output_mult": 2.0, "attn_mult": 1.5, "base_head_dim": MODEL.head_dim}
    assert torch.equal(build("sp", **options)(tokens()), build("mup", **options)(tokens()))


def test_sp_and_mup_differ_away_from_base_width():
    wide = MODEL.model_copy(update={"width": 128})
    assert not torch.allclose(build("sp", wide)(tokens(wide)), build("mup", wide)(tokens(wide)))


def test_weights_are_drawn_from_the_table():
    model = build("mup", MODEL.model_copy(update={"width": 256}), init_scale=2.0)
    params = dict(model.named_parameters())
    for rule in model.param_rules:
        p = params[rule.name]
        assert p.mean().item() == pytest.approx(rule.init_mean, abs=0.05 * rule.init_std + 1e-6)
        assert p.std().item() == pytest.approx(rule.init_std, rel=0.05, abs=1e-6)


def test_same_seed_same_weights():
    assert torch.equal(build("sp", seed=3)(tokens()), build("sp", seed=3)(tokens()))
    assert not torch.equal(build("sp", seed=3)(tokens()), build("sp", seed=4)(tokens()))


def test_each_module_multiplies_by_its_parameters_forward_multiplier():
    model = build("minicpm", MODEL.model_copy(update={"width": 128, "depth": 4}))
    modules = dict(model.named_modules())
    for rule in model.param_rules:
        assert modules[rule.name.rsplit(".", 1)[0]].mult == rule.forward_mult
    assert model.blocks[0].attn.proj.mult == pytest.approx(0.7)  # 1.4 / sqrt(4)


def test_explicit_attention_weights_are_the_kernels():
    model = build("mup", MODEL.model_copy(update={"width": 128}))
    attn, x = model.blocks[0].attn, torch.randn(2, MODEL.seq_len, 128)
    _, _, v = attn.heads(x)
    by_hand = (attn.probabilities(x) @ v).transpose(1, 2).flatten(2)
    assert torch.allclose(attn.proj(by_hand), attn(x), atol=1e-5)
