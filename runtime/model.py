"""A byte-level, pre-norm, decoder-only transformer (nanoGPT-shaped).

Init, attention scale and forward multipliers all come from the parametrization table
(runtime/parametrization.py); the modules here only say which role each parameter plays. Each
module's output is multiplied by the forward multiplier of its parameters' role. Linear layers
carry no bias: the only vectors are the LayerNorm gains and biases.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from runtime.config import ModelConfig, ParametrizationConfig
from runtime.parametrization import (
    ROLES,
    ParamRule,
    Role,
    attention_scale,
    forward_multiplier,
    resolve,
)


def _scaled(x: Tensor, mult: float) -> Tensor:
    # Skipping the multiply when it is 1 keeps SP as cheap as an unparametrized model.
    return x if mult == 1.0 else x * mult


class Attention(nn.Module):
    def __init__(self, model: ModelConfig, scale: float, mult: dict[Role, float]):
        super().__init__()
        self.n_heads, self.scale, self.mult = model.n_heads, scale, mult
        self.qkv = nn.Linear(model.width, 3 * model.width, bias=False)
        self.proj = nn.Linear(model.width, model.width, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        batch, seq, width = x.shape
        qkv = _scaled(self.qkv(x), self.mult["hidden"])
        # (batch, seq, 3 * width) -> three (batch, heads, seq, head_dim) tensors.
        q, k, v = qkv.view(batch, seq, 3, self.n_heads, -1).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=self.scale)
        y = y.transpose(1, 2).reshape(batch, seq, width)
        return _scaled(self.proj(y), self.mult["hidden"])


class MLP(nn.Module):
    def __init__(self, model: ModelConfig, mult: dict[Role, float]):
        super().__init__()
        self.mult = mult
        self.up = nn.Linear(model.width, model.mlp_ratio * model.width, bias=False)
        self.down = nn.Linear(model.mlp_ratio * model.width, model.width, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        h = F.gelu(_scaled(self.up(x), self.mult["hidden"]))
        return _scaled(self.down(h), self.mult["hidden"])


class Block(nn.Module):
    def __init__(self, model: ModelConfig, scale: float, mult: dict[Role, float]):
        super().__init__()
        self.mult = mult
        self.ln1 = nn.LayerNorm(model.width)
        self.attn = Attention(model, scale, mult)
        self.ln2 = nn.LayerNorm(model.width)
        self.mlp = MLP(model, mult)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(_scaled(self.ln1(x), self.mult["vector"]))
        return x + self.mlp(_scaled(self.ln2(x), self.mult["vector"]))


class GPT(nn.Module):
    def __init__(self, model: ModelConfig, parametrization: ParametrizationConfig):
        super().__init__()
        self.mult = {role: forward_multiplier(role, model.width, parametrization)
                     for role in ROLES}
        scale = attention_scale(model, parametrization)
        self.tok_emb = nn.Embedding(model.vocab_size, model.width)
        self.pos_emb = nn.Embedding(model.seq_len, model.width)
        self.blocks = nn.ModuleList(Block(model, scale, self.mult) for _ in range(model.depth))
        self.ln_f = nn.LayerNorm(model.width)
        self.readout = nn.Linear(model.width, model.vocab_size, bias=False)

        roles = self.roles()
        self.param_rules = resolve(
            ((name, tuple(p.shape), roles[name]) for name, p in self.named_parameters()),
            model.width,
            parametrization,
        )
        self._init(self.param_rules)

    def roles(self) -> dict[str, Role]:
        embeddings = {"tok_emb.weight", "pos_emb.weight"}

        def role(name: str, p: nn.Parameter) -> Role:
            if name in embeddings:
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

    def forward(self, idx: Tensor) -> Tensor:
        """Logits (batch, seq, vocab) for byte ids (batch, seq)."""
        positions = torch.arange(idx.shape[1], device=idx.device)
        x = _scaled(self.tok_emb(idx) + self.pos_emb(positions), self.mult["embedding"])
        for block in self.blocks:
            x = block(x)
        x = _scaled(self.ln_f(x), self.mult["vector"])
        return _scaled(self.readout(x), self.mult["readout"])


def param_table(model: ModelConfig, parametrization: ParametrizationConfig) -> list[ParamRule]:
    """The resolved rule for every parameter, without allocating or initializing weights."""
    with torch.device("meta"):
        return GPT(model, parametrization).param_rules
