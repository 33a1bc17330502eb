"""Model FLOPs and the hardware's peak, for throughput and model FLOP utilisation (MFU).

Model FLOPs per token count the matrix multiplies of a forward and backward pass as
6 * N + 12 * L * T * d (PaLM's accounting, Chowdhery et al. 2022, appendix B): N the
parameters of the linear layers (embedding lookups cost no multiplies), and the attention
scores and weighted values over the full T x T square, as is conventional for MFU whether or
not a kernel skips the masked half.
"""

from __future__ import annotations

import os

from runtime.config.model_size import parameter_count
from runtime.config.run import ModelConfig

# Dense bf16 tensor-core peaks (FLOP/s) by a name torch.cuda.get_device_name() contains; the
# first match wins, so the more specific names come first.
PEAK_BF16: tuple[tuple[str, float], ...] = (
    ("H100 PCIe", 756e12),
    ("H100", 989e12),
    ("H200", 989e12),
    ("H20", 148e12),
    ("GH200", 989e12),
    ("B200", 2250e12),
    ("A100", 312e12),
    ("A800", 312e12),
    ("L40S", 362e12),
    ("L4", 121e12),
    ("A10", 125e12),
    ("RTX 4090", 165e12),
    ("RTX 3090", 71e12),
)


def matmul_params(model: ModelConfig) -> int:
    """Parameters that multiply activations: every block's matrices and the readout (which
    multiplies even when it is the token embedding). Counted as the same model's parameters
    beyond its lookups once every gain, bias and scale is taken out and the readout untied."""
    matrices_only = model.model_copy(update={
        "norm": "none", "qk_norm": False, "bias": False, "sigma_reparam": False,
        "tied_embeddings": False})
    return parameter_count(matrices_only).matmul


def non_embedding_params(model: ModelConfig) -> int:
    """Kaplan et al.'s N: every parameter but the token and position embeddings and the
    readout."""
    return parameter_count(model).non_embedding


def flops_per_token(model: ModelConfig) -> float:
    """Training FLOPs (forward and backward) per token."""
    attention = 2 * 2 * model.depth * model.seq_len * model.width  # q.k and weights.v
    return 3.0 * (2 * matmul_params(model) + attention)


def peak_flops(device_name: str | None) -> float | None:
    """The device's dense bf16 peak, from $CLAIMLAB_PEAK_FLOPS when set, else the table;
    None when unknown (every CPU)."""
    override = os.environ.get("CLAIMLAB_PEAK_FLOPS")
    if override:
        return float(override)
    if device_name is None:
        return None
    return next((peak for name, peak in PEAK_BF16 if name in device_name), None)
