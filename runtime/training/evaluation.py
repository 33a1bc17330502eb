"""Validation: mean loss per source over fixed held-out batches."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from runtime.training.ddp import SINGLE_PROCESS, World, all_sum
from runtime.training.device import Device

Batch = tuple[Tensor, Tensor]


def loss_fn(logits: Tensor, targets: Tensor, row_weights: Tensor | None = None) -> Tensor:
    """Mean next-token cross-entropy; with `row_weights`, each sequence's tokens count that
    many times (a source's `loss_weight`), still divided by the number of tokens, so that
    data-parallel processes average to the single-process loss."""
    if row_weights is None:
        return F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten())
    per_token = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(),
                                reduction="none").view(targets.shape)
    return (per_token * row_weights[:, None]).mean()


@torch.inference_mode()
def evaluate(model: nn.Module, val: Mapping[str, Sequence[Batch]], device: Device,
             world: World = SINGLE_PROCESS,
             bytes_per_token: Mapping[str, float] | None = None) -> dict[str, float]:
    """`val_loss/<source>` for each source and their unweighted mean as `val_loss`, so runs
    with different mixes are scored alike; `val_bpb/<source>` (bits per UTF-8 byte) for the
    sources whose bytes per token are known, and `val_bpb` when all are. Under DDP each
    process takes every world.size-th batch and the sums are reduced."""
    sums = []
    for batches in val.values():
        with device.autocast():
            mine = [loss_fn(model(x), y) for x, y in batches[world.rank::world.size]]
        sums.append(torch.stack(mine).sum() if mine else torch.zeros((), device=device.device))
    totals = all_sum(world, torch.stack(sums)).tolist()
    losses = [total / len(batches) for total, batches in zip(totals, val.values())]
    metrics = {f"val_loss/{name}": loss for name, loss in zip(val, losses)}
    metrics["val_loss"] = math.fsum(losses) / len(losses)
    known = bytes_per_token or {}
    bpb = {name: loss / math.log(2) / known[name]
           for name, loss in zip(val, losses) if name in known}
    metrics |= {f"val_bpb/{name}": value for name, value in bpb.items()}
    if bpb and len(bpb) == len(losses):
        metrics["val_bpb"] = math.fsum(bpb.values()) / len(bpb)
    return metrics
