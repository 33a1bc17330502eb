"""How many parameters a model config has, counted from the config alone (no torch).

The count follows runtime/model/gpt.py parameter by parameter (a test holds the two equal for
every switch), so that a budget in tokens per parameter and the plan's cost estimates can be
computed where torch is not installed.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.config.model import ModelConfig


@dataclass(frozen=True)
class ParameterCount:
    total: int
    """every parameter, each shared one once (Chinchilla's N)"""
    lookup: int
    """parameters used only as lookups: the token embedding (unless the readout shares it)
    and learned position embeddings"""
    embeddings: int
    """the token and learned position embeddings and the readout (a tied one once)"""

    @property
    def matmul(self) -> int:
        """Every parameter but the lookups: what the plan's 6·N·D counts."""
        return self.total - self.lookup

    @property
    def non_embedding(self) -> int:
        """Every parameter but the embeddings and the readout (Kaplan et al.'s N)."""
        return self.total - self.embeddings


def parameter_count(model: ModelConfig) -> ParameterCount:
    d, heads = model.width, model.head_dim
    hidden = model.mlp_ratio * d
    per_linear = 1 if model.sigma_reparam else 0   # its γ

    def linear(fan_in: int, fan_out: int) -> int:
        return fan_in * fan_out + (fan_out if model.bias else 0) + per_linear

    def norm(size: int) -> int:
        return {"layernorm": 2 * size, "rmsnorm": size, "none": 0}[model.norm]

    attention = linear(d, d) + linear(d, 2 * d) + linear(d, d)
    if model.qk_norm:
        attention += 2 * norm(heads)
    mlp = linear(d, hidden) + linear(hidden, d)
    if model.mlp == "swiglu":
        mlp += linear(d, hidden)
    block = 2 * norm(d) + attention + mlp

    tokens = model.vocab_size * d
    positions = model.seq_len * d if model.position == "learned" else 0
    final_norm = norm(d) if model.norm_placement == "pre" else 0
    readout = 0 if model.tied_embeddings else linear(d, model.vocab_size)
    total = tokens + positions + model.depth * block + final_norm + readout
    lookup = positions + (0 if model.tied_embeddings else tokens)
    return ParameterCount(total=total, lookup=lookup, embeddings=tokens + positions + readout)
