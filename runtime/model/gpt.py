"""A decoder-only transformer (nanoGPT-shaped), with the block choices of `model` config.

Init, attention scale and forward multipliers all come from the parametrization table
(runtime/model/parametrization.py); the modules here only say which role each parameter plays. Each
module's output is multiplied by its weight's forward multiplier (`mult`); the multiplier of
a residual branch rides on the branch's last matrix (attn.proj, mlp.down). A bias is added
after the multiplier, as the `mup` package's readout does. By default linear layers carry no
bias, and the only vectors are the LayerNorm gains and biases; the switches add norm gains
(RMSNorm, QK-norm), biases and σReparam's γ, all `vector`s, and SwiGLU's gate, a `hidden`
matrix. With every switch at its default the model, its parameters' order and its init draws
are what they were before the switches existed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from runtime.config.run import ModelConfig, ParametrizationConfig
from runtime.model.parametrization import (
    ParamRule,
    Role,
    attention_scale,
    forward_multiplier,
    resolve,
)
from runtime.model.rope import rotate
from runtime.model.sigma_reparam import SpectralMatrix

# The matrices whose output ends a residual branch.
RESIDUAL_OUTPUTS = ("attn.proj", "mlp.down")


def _scaled(x: Tensor, mult: float) -> Tensor:
    # Skipping the multiply when it is 1 keeps SP as cheap as an unparametrized model.
    return x if mult == 1.0 else x * mult


class Linear(nn.Linear):
    mult = 1.0

    def __init__(self, fan_in: int, fan_out: int, model: ModelConfig, *,
                 bias: bool | None = None):
        super().__init__(fan_in, fan_out, bias=model.bias if bias is None else bias)
        self.spectral = SpectralMatrix(fan_in, fan_out) if model.sigma_reparam else None

    def matrix(self) -> Tensor:
        """The matrix the layer multiplies by: its weight, or γ·W/σ(W) under σReparam."""
        return self.weight if self.spectral is None else self.spectral(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        y = _scaled(F.linear(x, self.matrix()), self.mult)
        return y if self.bias is None else y + self.bias


class Embedding(nn.Embedding):
    mult = 1.0

    def forward(self, x: Tensor) -> Tensor:
        return _scaled(super().forward(x), self.mult)


class LayerNorm(nn.LayerNorm):
    mult = 1.0

    def forward(self, x: Tensor) -> Tensor:
        return _scaled(super().forward(x), self.mult)


class RMSNorm(nn.RMSNorm):
    mult = 1.0

    def forward(self, x: Tensor) -> Tensor:
        return _scaled(super().forward(x), self.mult)


def norm(size: int, model: ModelConfig) -> nn.Module:
    """The model's normalization over the last `size` dimensions (the identity for `none`)."""
    if model.norm == "layernorm":
        return LayerNorm(size)
    return RMSNorm(size, eps=1e-5) if model.norm == "rmsnorm" else nn.Identity()


class Attention(nn.Module):
    def __init__(self, model: ModelConfig, scale: float):
        super().__init__()
        self.n_heads, self.scale = model.n_heads, scale
        # The query is its own matrix so that it can start at zero (muP's zero-init query).
        self.query = Linear(model.width, model.width, model)
        self.key_value = Linear(model.width, 2 * model.width, model)
        self.proj = Linear(model.width, model.width, model)
        if model.qk_norm:
            self.query_norm = norm(model.head_dim, model)
            self.key_norm = norm(model.head_dim, model)
        self.qk_norm = model.qk_norm
        self.rope_base = model.rope_base if model.position == "rope" else None

    def heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v as (batch, heads, seq, head_dim), normalized and rotated as configured."""
        batch, seq, _ = x.shape
        q = self.query(x).view(batch, seq, self.n_heads, -1).transpose(1, 2)
        k, v = self.key_value(x).view(batch, seq, 2, self.n_heads, -1).permute(2, 0, 3, 1, 4)
        if self.qk_norm:
            q, k = self.query_norm(q), self.key_norm(k)
        if self.rope_base is not None:
            q, k = rotate(q, self.rope_base), rotate(k, self.rope_base)
        return q, k, v

    def forward(self, x: Tensor) -> Tensor:
        q, k, v = self.heads(x)
        # On CUDA with bf16 this is the flash kernel.
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=self.scale)
        return self.proj(y.transpose(1, 2).flatten(2))

    def probabilities(self, x: Tensor) -> Tensor:
        """The attention weights (batch, heads, query, key), computed explicitly."""
        q, k, _ = self.heads(x)
        scores = (q @ k.transpose(-2, -1)) * self.scale
        causal = torch.ones(scores.shape[-2:], dtype=torch.bool, device=x.device).tril()
        return scores.masked_fill(~causal, float("-inf")).softmax(dim=-1)


class MLP(nn.Module):
    def __init__(self, model: ModelConfig):
        super().__init__()
        hidden = model.mlp_ratio * model.width
        self.up = Linear(model.width, hidden, model)
        self.down = Linear(hidden, model.width, model)
        self.gate = Linear(model.width, hidden, model) if model.mlp == "swiglu" else None

    def forward(self, x: Tensor) -> Tensor:
        if self.gate is None:
            return self.down(F.gelu(self.up(x)))
        return self.down(F.silu(self.gate(x)) * self.up(x))


class Block(nn.Module):
    def __init__(self, model: ModelConfig, scale: float):
        super().__init__()
        self.ln1 = norm(model.width, model)
        self.attn = Attention(model, scale)
        self.ln2 = norm(model.width, model)
        self.mlp = MLP(model)
        self.post_norm = model.norm_placement == "post"

    def forward(self, x: Tensor) -> Tensor:
        if self.post_norm:
            x = self.ln1(x + self.attn(x))
            return self.ln2(x + self.mlp(x))
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))

    def attention_input(self, x: Tensor) -> Tensor:
        """What the attention sees of the residual stream `x`."""
        return x if self.post_norm else self.ln1(x)


class GPT(nn.Module):
    def __init__(self, model: ModelConfig, parametrization: ParametrizationConfig):
        super().__init__()
        self.config = model
        self.tok_emb = Embedding(model.vocab_size, model.width)
        self.pos_emb = (Embedding(model.seq_len, model.width) if model.position == "learned"
                        else None)
        scale = attention_scale(model, parametrization)
        self.blocks = nn.ModuleList(Block(model, scale) for _ in range(model.depth))
        # Post-norm blocks end normalized already.
        self.ln_f = norm(model.width, model) if model.norm_placement == "pre" else nn.Identity()
        if model.tied_embeddings:
            self.readout = None
            self.readout_mult = forward_multiplier("readout", model, parametrization)
        else:
            self.readout = Linear(model.width, model.vocab_size, model)

        roles = self.roles()
        residual = frozenset(f"{name}.weight" for name, _ in self.named_modules()
                             if name.endswith(RESIDUAL_OUTPUTS))
        self.param_rules = resolve(
            ((name, tuple(p.shape), roles[name]) for name, p in self.named_parameters()),
            model, parametrization, residual,
        )
        # A module's multiplier is its weight's (its bias and γ take the module's output).
        for rule in self.param_rules:
            module, _, field = rule.name.rpartition(".")
            if field == "weight":
                self.get_submodule(module).mult = rule.forward_mult
        self._init(self.param_rules)
        for module in self.modules():
            if isinstance(module, Linear) and module.spectral is not None:
                module.spectral.reset(module.weight)

    def roles(self) -> dict[str, Role]:
        def role(name: str, p: nn.Parameter) -> Role:
            if name in ("tok_emb.weight", "pos_emb.weight"):
                return "embedding"
            if name == "readout.weight":
                return "readout"
            return "vector" if p.ndim == 1 else "hidden"

        return {name: role(name, p) for name, p in self.named_parameters()}

    @torch.no_grad()
    def _init(self, rules: list[ParamRule]) -> None:
        params = dict(self.named_parameters())
        for rule in rules:
            p = params[rule.name]
            if rule.init_std == 0.0:
                p.fill_(rule.init_mean)
            else:
                p.normal_(rule.init_mean, rule.init_std)

    def embed(self, idx: Tensor) -> Tensor:
        if self.pos_emb is None:
            return self.tok_emb(idx)
        positions = torch.arange(idx.shape[1], device=idx.device)
        return self.tok_emb(idx) + self.pos_emb(positions)

    def forward(self, idx: Tensor) -> Tensor:
        """Logits (batch, seq, vocab) for token ids (batch, seq)."""
        x = self.embed(idx)
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x)
        if self.readout is None:
            return _scaled(F.linear(x, self.tok_emb.weight), self.readout_mult)
        return self.readout(x)


def param_table(model: ModelConfig, parametrization: ParametrizationConfig) -> list[ParamRule]:
    """The resolved rule for every parameter, without allocating or initializing weights."""
    with torch.device("meta"):
        return GPT(model, parametrization).param_rules
