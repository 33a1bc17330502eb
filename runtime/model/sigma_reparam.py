"""σReparam (Zhai et al. 2023, "Stabilizing Transformer Training by Preventing Attention
Entropy Collapse"): a linear layer whose matrix is used as γ·W/σ(W).

σ(W), W's spectral norm, is estimated as uᵀWv from singular-vector estimates u and v that are
buffers of the layer: exact at init (an SVD), then advanced by one power iteration on each
training forward pass, so the estimate follows W as it trains at the cost of two matrix-vector
products a step. Gradients flow through W in both places (as in the paper, u and v are
constants of the step). Forward passes outside training (evaluation, measurements) or
without gradients use the estimate without advancing it, so they cannot change a run.
γ is a learned scalar starting at 1 (a gain: the `vector` role).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class SpectralMatrix(nn.Module):
    """The σReparam state of one matrix: γ and the singular-vector estimates."""

    def __init__(self, fan_in: int, fan_out: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(1))
        self.register_buffer("u", torch.zeros(fan_out))
        self.register_buffer("v", torch.zeros(fan_in))

    @torch.no_grad()
    def reset(self, weight: Tensor) -> None:
        """Start the estimates at `weight`'s exact top singular vectors."""
        if weight.is_meta:
            return
        u, _, vh = torch.linalg.svd(weight.float(), full_matrices=False)
        self.u.copy_(u[:, 0])
        self.v.copy_(vh[0])

    def sigma(self, weight: Tensor) -> Tensor:
        """The spectral norm estimate uᵀWv, advancing u and v first on a training pass."""
        # Full precision: under bf16 autocast the matrix-vector products would round to 8 bits.
        with torch.autocast(weight.device.type, enabled=False):
            if self.training and torch.is_grad_enabled():
                with torch.no_grad():
                    self.v.copy_(F.normalize(torch.mv(weight.t(), self.u), dim=0))
                    self.u.copy_(F.normalize(torch.mv(weight, self.v), dim=0))
            return torch.dot(self.u, torch.mv(weight, self.v))

    def forward(self, weight: Tensor) -> Tensor:
        """The matrix to use in `weight`'s place: γ·W/σ(W)."""
        return weight * (self.gamma / self.sigma(weight))
