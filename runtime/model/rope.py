"""Rotary position embeddings (RoPE, Su et al. 2021): positions as rotations of each head's
queries and keys, so that their dot product depends on how far apart two tokens are, not on
where they are.

Dimensions i and i + head_dim/2 of a head form a pair (GPT-NeoX's and LLaMA's "rotate half"
layout) that turns by position * base ** (-2i / head_dim) radians.
"""

from __future__ import annotations

import torch
from torch import Tensor


def rotate(x: Tensor, base: float) -> Tensor:
    """`x` (batch, heads, seq, head_dim), position p = 0, 1, ... along seq, rotated."""
    seq, dim = x.shape[-2], x.shape[-1]
    half = dim // 2
    # In float32 whatever x is: bf16 angles lose whole radians at long positions.
    exponents = torch.arange(half, device=x.device, dtype=torch.float32) * (-2.0 / dim)
    angles = torch.arange(seq, device=x.device, dtype=torch.float32)[:, None] * base ** exponents
    cos, sin = angles.cos(), angles.sin()
    first, second = x[..., :half].float(), x[..., half:].float()
    return torch.cat([first * cos - second * sin, first * sin + second * cos], dim=-1).type_as(x)
