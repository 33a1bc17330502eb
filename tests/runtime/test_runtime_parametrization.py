import math
from typing import get_args

import pytest

from runtime.config import ModelConfig, ParametrizationConfig
from runtime.model import param_table
from runtime.parametrization import KINDS, attention_scale

BASE = 64


def table(kind: str, width: int, **param: object) -> dict[str, object]:
    model = ModelConfig(width=width, depth=2, head_dim=32)
    cfg = ParametrizationConfig(kind=kind, base_width=BASE, **param)
    return {rule.name: rule for rule in param_table(model, cfg)}


def test_every_config_kind_has_a_table():
    assert set(KINDS) == set(get_args(ParametrizationConfig.model_fields["kind"].annotation))


def test_roles_cover_the_model():
    rules = table("sp", BASE)
    roles = {name: rule.role for name, rule in rules.items()}
    assert roles["tok_emb.weight"] == roles["pos_emb.weight"] == "embedding"
    assert roles["readout.weight"] == "readout"
    for name in ("blocks.0.attn.qkv.weight", "blocks.0.attn.proj.weight",
                 "blocks.1.mlp.up.weight", "blocks.1.mlp.down.weight"):
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
    for name in ("blocks.0.attn.qkv.weight", "blocks.1.mlp.down.weight"):
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


def test_vectors_start_as_identity_and_are_not_decayed():
    for kind in KINDS:
        rules = table(kind, 4 * BASE)
        gain, bias = rules["blocks.0.ln1.weight"], rules["blocks.0.ln1.bias"]
        assert (gain.init_mean, bias.init_mean, gain.init_std) == (1.0, 0.0, 0.0)
        assert (gain.lr_mult, gain.wd_mult) == (1.0, 0.0)


def test_readout_zero_init():
    assert table("mup", 2 * BASE, readout_zero_init=True)["readout.weight"].init_std == 0.0


def test_kinds_agree_at_base_width():
    assert table("sp", BASE, output_mult=3.0) == table("mup", BASE, output_mult=3.0)


def test_attention_scale():
    sp = ParametrizationConfig(kind="sp", attn_mult=2.0, base_head_dim=32)
    mup = ParametrizationConfig(kind="mup", attn_mult=2.0, base_head_dim=32)
    for head_dim in (32, 128):
        model = ModelConfig(width=256, head_dim=head_dim)
        assert attention_scale(model, sp) == pytest.approx(2.0 / math.sqrt(head_dim))
        assert attention_scale(model, mup) == pytest.approx(2.0 * math.sqrt(32) / head_dim)
