"""An ensemble run: the validation loss of the averaged predictions of finished runs.

A run whose config has `ensemble: {runs: [...], step: S}` trains nothing. It loads each
member's weights from its checkpoint at step S, and on this run's validation batches (the
same fixed batches every run of its data section evaluates on) averages the members'
next-token probabilities, not their logits:

    loss = mean over tokens of -log( (1/K) sum_k softmax(logits_k)[target] )

computed as a log-sum-exp of the members' log-probabilities. Like `val_loss`, it is the mean
over batches per source, and the unweighted mean over sources: `val_loss/ensemble`. Beside it,
`val_loss/members` is the members' mean loss on the same batches, so one record shows what
the ensemble gains. The log has one line, at step S. The members are held on the device
together (K copies of the model, no optimizer state), each batch passing through all of them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from runtime.config.run import RunConfig
from runtime.data.batches import Batches
from runtime.model.gpt import GPT
from runtime.results import METRICS, checkpoint_path
from runtime.training import checkpoint
from runtime.training.ddp import World, all_sum
from runtime.training.device import Device
from runtime.training.metrics import MetricsLog, NullLog
from runtime.training.trainer import Progress


def evaluate_ensemble(config: RunConfig, run_dir: Path, device: Device, world: World,
                      progress: Progress) -> None:
    """Evaluate the ensemble `config` names into `run_dir`, filling `progress` in."""
    assert config.ensemble is not None
    step = config.ensemble.step
    members, position = [], None
    for member in config.ensemble.runs:
        source = checkpoint_path(run_dir.parent / member, step)
        if not source.exists():
            raise FileNotFoundError(
                f"ensemble member {member} has no checkpoint at step {step} ({source}); it "
                "must finish first, keeping that step (`claimlab run` trains members first)")
        payload = checkpoint.load(source, device.device)
        model = GPT(config.model, config.parametrization).to(device.device)
        model.load_state_dict(payload["model"])
        members.append(model.eval())
        position = payload["position"]
    progress.n_params = sum(p.numel() for p in members[0].parameters())
    val = Batches.from_config(config.data, config.model.seq_len, device.device,
                              steps=config.budget.steps).val_batches(config.eval.batches)
    record = {"step": step, "tokens": position.tokens}
    record |= ensemble_losses(members, val, device, world)
    progress.position.step, progress.position.tokens = step, position.tokens
    with MetricsLog(run_dir / METRICS) if world.is_main else NullLog() as log:
        log.write(record)
    progress.last = record


@torch.inference_mode()
def ensemble_losses(members: Sequence[nn.Module], val: dict[str, list[tuple[Tensor, Tensor]]],
                    device: Device, world: World) -> dict[str, float]:
    """`val_loss/ensemble` and `val_loss/members` on the batches `val` holds per source.
    Under DDP each process takes every world.size-th batch and the sums are reduced."""
    sums = []
    for batches in val.values():
        ensemble = members_mean = torch.zeros((), device=device.device)
        for x, y in batches[world.rank::world.size]:
            with device.autocast():
                log_probs = torch.stack([F.log_softmax(model(x).float(), dim=-1)
                                         for model in members])
            picked = log_probs.gather(-1, y.expand(len(members), *y.shape)[..., None])[..., 0]
            mixed = torch.logsumexp(picked, dim=0) - math.log(len(members))
            ensemble = ensemble - mixed.mean()
            members_mean = members_mean - picked.mean()
        sums.append(torch.stack([ensemble, members_mean]))
    totals = all_sum(world, torch.stack(sums)).tolist()
    per_source = [(e / len(batches), m / len(batches))
                  for (e, m), batches in zip(totals, val.values())]
    return {"val_loss/ensemble": math.fsum(e for e, _ in per_source) / len(per_source),
            "val_loss/members": math.fsum(m for _, m in per_source) / len(per_source)}
