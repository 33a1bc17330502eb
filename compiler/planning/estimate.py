"""What a run costs: parameters, tokens and training FLOPs, from its config alone (no torch).

N, the non-embedding parameter count, follows the runtime's GPT (runtime/config/model_size.py
counts it from the config): with the default blocks, per block attention's qkv and output
matrices (4·d²), the MLP's up and down matrices (2·r·d²) and two LayerNorms (4·d); then the
final LayerNorm (2·d) and the readout (d·V). The token and position embeddings are left out,
as in Kaplan et al. (2020): their forward pass is a lookup, not a matmul (a readout tied to
the token embedding is a matmul, and counts). D, the tokens trained on, is steps ×
batch_size × seq_len. Training costs about 6·N·D FLOPs (2·N·D forward, 4·N·D backward).
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.config.model_size import parameter_count
from runtime.config.run import RunConfig
from runtime.model.flops import PEAK_BF16

# Plans are costed on an H100 SXM unless told otherwise: its dense bf16 peak, as the runtime's
# table lists it for MFU (the PCIe card is listed apart).
DEFAULT_GPU = "H100 SXM"
DEFAULT_PEAK_FLOPS = dict(PEAK_BF16)["H100"]
# The share of that peak a well-tuned training run keeps busy (model FLOPs utilisation).
DEFAULT_UTILISATION = 0.4


@dataclass(frozen=True)
class Cost:
    params: int     # N: non-embedding parameters
    tokens: int     # D: tokens trained on
    flops: float    # 6·N·D

    def gpu_hours(self, peak_flops: float = DEFAULT_PEAK_FLOPS,
                  utilisation: float = DEFAULT_UTILISATION) -> float:
        return gpu_hours(self.flops, peak_flops, utilisation)


def run_cost(config: RunConfig) -> Cost:
    model = config.model
    params = parameter_count(model).matmul
    # An ensemble run trains nothing (its forward passes over a few validation batches are
    # not counted, as no run's evaluations are).
    steps = 0 if config.ensemble is not None else config.budget.steps
    tokens = steps * config.data.batch_size * model.seq_len
    return Cost(params=params, tokens=tokens, flops=6.0 * params * tokens)


def gpu_hours(flops: float, peak_flops: float = DEFAULT_PEAK_FLOPS,
              utilisation: float = DEFAULT_UTILISATION) -> float:
    return flops / (peak_flops * utilisation) / 3600
