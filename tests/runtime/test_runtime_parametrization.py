import math
from typing import get_args

import pytest
import torch
from pydantic import ValidationError

from runtime.config.model import PARAMETRIZATIONS
from runtime.config.run import ModelConfig, ParametrizationConfig
from runtime.model.gpt import GPT, param_table
from runtime.model.parametrization import attention_scale, residual_multiplier

BASE = 64


def table(kind: str, width: int, depth: int = 2, **param: object) -> dict[str, object]:
    model = ModelConfig(width=width, depth=depth, head_dim=32)
    cfg = ParametrizationConfig(kind=kind, base_width=BASE, **param)
    return {rule.name: rule for rule in param_table(model, cfg)}


def test_every_config_kind_has_a_table():
    assert set(PARAMETRIZATIONS) == set(
        get_args(ParametrizationConfig.model_fields["kind"].annotation))


def test_roles_cover_the_model():
    roles = {name: rule.role for name, rule in table("sp", BASE).items()}
    assert roles["tok_emb.weight"] == roles["pos_emb.weight"] == "embedding"
    assert roles["readout.weight"] == "readout"
    for name in ("blocks.0.attn.query.weight", "blocks.0.attn.key_value.weight",
                 "blocks.0.attn.proj.weight", "blocks.1.mlp.up.weight", "blocks.1.mlp.down.weight"):
        assert roles[name] == "hidden"
    for name in ("blocks.0.ln1.weight", "blocks.0.ln1.bias", "ln_f.weight"):
        assert roles[name] == "vector"


@pytest.mark.parametrize("width", [BASE, 4 * BASE])
def test_sp_keeps_every_multiplier_at_one(width):
    rules = table("sp", width, output_mult=2.0)
    up = rules["blocks.0.mlp.up.weight"]
    assert (up.lr_mult, up.wd_mult, up.forward_mult) == (1.0, 1.0, 1.0)
    assert up.init_std == pytest.approx(1 / math.sqrt(width))
    assert rules["blocks.0.mlp.down.weight"].init_std == pytest.approx(1 / math.sqrt(4 * width))
    assert rules["readout.weight"].forward_mult == 2.0
    assert rules["readout.weight"].init_std == pytest.approx(1 / math.sqrt(width))


def test_mup_at_four_times_base_width():
    rules = table("mup", 4 * BASE, output_mult=2.0, init_scale=0.5, embedding_std=0.02)
    for name in ("blocks.0.attn.query.weight", "blocks.1.mlp.down.weight"):
        assert rules[name].lr_mult == pytest.approx(1 / 4)
        assert rules[name].wd_mult == pytest.approx(4)
    assert rules["blocks.0.mlp.up.weight"].init_std == pytest.approx(0.5 / math.sqrt(4 * BASE))
    readout = rules["readout.weight"]
    assert readout.forward_mult == pytest.approx(2.0 / 4)
    assert (readout.lr_mult, readout.wd_mult) == (1.0, 1.0)
    # The `mup` package keeps the readout's init variance constant in width.
    assert readout.init_std == pytest.approx(0.5 / math.sqrt(BASE))
    emb = rules["tok_emb.weight"]
    assert (emb.init_std, emb.lr_mult, emb.forward_mult) == (0.02, 1.0, 1.0)


def test_ntk_has_sp_effective_weights_with_constant_std_entries():
    ntk, sp = table("ntk", 4 * BASE), table("sp", 4 * BASE)
    for name in ("blocks.0.attn.query.weight", "blocks.0.mlp.down.weight", "readout.weight"):
        assert ntk[name].forward_mult == pytest.approx(0.5)
        assert ntk[name].init_std * ntk[name].forward_mult == pytest.approx(sp[name].init_std)
        assert ntk[name].init_std == pytest.approx(table("ntk", BASE)[name].init_std)


def test_depth_mup_scales_residual_branches_by_one_over_sqrt_depth():
    rules = table("depth-mup", 2 * BASE, depth=4)
    assert rules["blocks.0.attn.proj.weight"].forward_mult == pytest.approx(0.5)
    assert rules["blocks.3.mlp.down.weight"].forward_mult == pytest.approx(0.5)
    assert rules["blocks.0.mlp.up.weight"].forward_mult == 1.0  # inside the branch
    assert rules["blocks.0.mlp.up.weight"].lr_mult == pytest.approx(0.5)  # and muP's rules
    relative = table("depth-mup", 2 * BASE, depth=8, base_depth=2)
    assert relative["blocks.0.attn.proj.weight"].forward_mult == pytest.approx(0.5)


def test_minicpm_constants():
    rules = table("minicpm", 4 * BASE, depth=4)
    assert rules["tok_emb.weight"].forward_mult == 12.0
    assert rules["blocks.0.attn.proj.weight"].forward_mult == pytest.approx(1.4 / 2)
    assert rules["readout.weight"].forward_mult == pytest.approx(1 / 4)
    assert rules["blocks.0.mlp.up.weight"].lr_mult == pytest.approx(1 / 4)
    model = ModelConfig(width=4 * BASE, head_dim=32)
    assert attention_scale(model, ParametrizationConfig(kind="minicpm")) == \
        pytest.approx(1 / math.sqrt(32))
    # Its constants can be set, and leaving one out means the kind's value.
    assert table("minicpm", BASE, embedding_mult=10.0)["tok_emb.weight"].forward_mult == 10.0
    assert ParametrizationConfig(kind="minicpm") == \
        ParametrizationConfig(kind="minicpm", embedding_mult=12.0, residual_mult=1.4)


def test_overrides_replace_cells_of_the_kind():
    # "Weight decay grows with width" on top of muP: hidden decay x m^2 instead of x m.
    rules = table("mup", 4 * BASE, overrides={"hidden": {"weight_decay": 2.0}})
    hidden = rules["blocks.0.mlp.up.weight"]
    assert hidden.wd_mult == pytest.approx(16) and hidden.lr_mult == pytest.approx(1 / 4)
    sp_with_mup_lr = table("sp", 4 * BASE, overrides={"hidden": {"lr": -1.0}, "residual": -1.0},
                           depth=4)
    assert sp_with_mup_lr["blocks.0.mlp.up.weight"].lr_mult == pytest.approx(1 / 4)
    assert sp_with_mup_lr["blocks.0.mlp.down.weight"].forward_mult == pytest.approx(1 / 4)
    model = ModelConfig(width=256, head_dim=128)
    over = ParametrizationConfig(kind="sp", base_head_dim=32, overrides={"attention": -0.5})
    assert attention_scale(model, over) == pytest.approx(math.sqrt(32) / 128)
    with pytest.raises(ValidationError, match="hiden"):
        ParametrizationConfig(overrides={"hiden": {"lr": -1}})


def test_vectors_start_as_identity_and_are_not_decayed():
    for kind in PARAMETRIZATIONS:
        rules = table(kind, 4 * BASE)
        gain, bias = rules["blocks.0.ln1.weight"], rules["blocks.0.ln1.bias"]
        assert (gain.init_mean, bias.init_mean, gain.init_std) == (1.0, 0.0, 0.0)
        assert (gain.lr_mult, gain.wd_mult) == (1.0, 0.0)


def test_zero_init_readout_and_query():
    rules = table("mup", 2 * BASE, readout_zero_init=True, query_zero_init=True)
    assert rules["readout.weight"].init_std == 0.0
    assert rules["blocks.1.attn.query.weight"].init_std == 0.0
    assert rules["blocks.1.attn.key_value.weight"].init_std > 0.0
    torch.manual_seed(0)
    model = GPT(ModelConfig(width=2 * BASE, depth=2, head_dim=32),
                ParametrizationConfig(kind="mup", base_width=BASE, query_zero_init=True))
    assert not model.blocks[0].attn.query.weight.any()


def test_kinds_agree_at_base_width_and_depth():
    sp = table("sp", BASE, depth=1, output_mult=3.0)
    for kind in ("mup", "ntk", "depth-mup"):
        assert table(kind, BASE, depth=1, output_mult=3.0) == sp, kind


def test_attention_scale():
    sp = ParametrizationConfig(kind="sp", attn_mult=2.0, base_head_dim=32)
    mup = ParametrizationConfig(kind="mup", attn_mult=2.0, base_head_dim=32)
    for head_dim in (32, 128):
        model = ModelConfig(width=256, head_dim=head_dim)
        assert attention_scale(model, sp) == pytest.approx(2.0 / math.sqrt(head_dim))
        assert attention_scale(model, mup) == pytest.approx(2.0 * math.sqrt(32) / head_dim)


def test_residual_multiplier():
    model = ModelConfig(depth=9)
    assert residual_multiplier(model, ParametrizationConfig(kind="sp")) == 1.0
    assert residual_multiplier(model, ParametrizationConfig(kind="depth-mup")) == \
        pytest.approx(1 / 3)
    assert residual_multiplier(model, ParametrizationConfig(kind="minicpm")) == \
        pytest.approx(1.4 / 3)
