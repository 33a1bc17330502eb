"""A byte-level, pre-norm, decoder-only transformer (nanoGPT-shaped).

Init, attention scale and forward multipliers all come from the parametrization table
(runtime/model/parametrization.py); the modules here only say which role each parameter plays. Each
module's output is multiplied by its parameters' forward multiplier (`mult`); the multiplier of
a residual branch rides on the branch's last matrix (attn.proj, mlp.down). Linear layers carry
no bias: the only vectors are the LayerNorm gains and biases.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from runtime.config.run import ModelConfig, ParametrizationConfig
from runtime.model.parametrization import ParamRule, Role, attention_scale, resolve

# The matrices whose output ends a residual branch.
RESIDUAL_OUTPUTS = ("attn.proj", "mlp.down")


def _scaled(x: Tensor, mult: float) -> Tensor:
    # Skipping the multiply when it is 1 keeps SP as cheap as an unparametrized model.
    return x if mult == 1.0 else x * mult


class Linear(nn.Linear):
    mult = 1.0

    def forward(self, x: Tensor) -> Tensor:
        return _scaled(super().forward(x), self.mult)


class Embedding(nn.Embedding):
    mult = 1.0

    def forward(self, x: Tensor) -> Tensor:
        return _scaled(super().forward(x), self.mult)


class LayerNorm(nn.LayerNorm):
    mult = 1.0

    def forward(self, x: Tensor) -> Tensor:
        return _scaled(super().forward(x), self.mult)


class Attention(nn.Module):
    def __init__(self, model: ModelConfig, scale: float):
        super().__init__()
        self.n_heads, self.scale = model.n_heads, scale
        # The query is its own matrix so that it can start at zero (muP's zero-init query).
        self.query = Linear(model.width, model.width, bias=False)
        self.key_value = Linear(model.width, 2 * model.width, bias=False)
        self.proj = Linear(model.width, model.width, bias=False)

    def heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v as (batch, heads, seq, head_dim)."""
        batch, seq, _ = x.shape
        q = self.query(x).view(batch, seq, self.n_heads, -1).transpose(1, 2)
        k, v = self.key_value(x).view(batch, seq, 2, self.n_heads, -1).permute(2, 0, 3, 1, 4)
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
        self.up = Linear(model.width, model.mlp_ratio * model.width, bias=False)
        self.down = Linear(model.mlp_ratio * model.width, model.width, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.down(F.gelu(self.up(x)))


class Block(nn.Module):
    def __init__(self, model: ModelConfig, scale: float):
        super().__init__()
        self.ln1 = LayerNorm(model.width)
        self.attn = Attention(model, scale)
        self.ln2 = LayerNorm(model.width)
        self.mlp = MLP(model)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, model: ModelConfig, parametrization: ParametrizationConfig):
        super().__init__()
        self.config = model
        self.tok_emb = Embedding(model.vocab_size, model.width)
        self.pos_emb = Embedding(model.seq_len, model.width)
        scale = attention_scale(model, parametrization)
        self.blocks = nn.ModuleList(Block(model, scale) for _ in range(model.depth))
        self.ln_f = LayerNorm(model.width)
        self.readout = Linear(model.width, model.vocab_size, bias=False)

        roles = self.roles()
        residual = frozenset(name for name in roles
                             if name.rsplit(".", 1)[0].endswith(RESIDUAL_OUTPUTS))
        self.param_rules = resolve(
            ((name, tuple(p.shape), roles[name]) for name, p in self.named_parameters()),
            model, parametrization, residual,
        )
        for rule in self.param_rules:
            self.get_submodule(rule.name.rsplit(".", 1)[0]).mult = rule.forward_mult
        self._init(self.param_rules)

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
        positions = torch.arange(idx.shape[1], device=idx.device)
        return self.tok_emb(idx) + self.pos_emb(positions)

    def forward(self, idx: Tensor) -> Tensor:
        """Logits (batch, seq, vocab) for byte ids (batch, seq)."""
        x = self.embed(idx)
        for block in self.blocks:
            x = block(x)
        return self.readout(self.ln_f(x))


def param_table(model: ModelConfig, parametrization: ParametrizationConfig) -> list[ParamRule]:
    """The resolved rule for every parameter, without allocating or initializing weights."""
    with torch.device("meta"):
        return GPT(model, parametrization).param_rules
