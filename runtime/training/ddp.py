"""Distributed data parallel over the processes torchrun starts (gloo on CPU, nccl on CUDA).

A single process is a world of one: every helper here is then a no-op, so the training loop
has one code path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


SINGLE_PROCESS = World()


def from_environment() -> World:
    """The world torchrun describes in RANK, WORLD_SIZE and LOCAL_RANK (one process without)."""
    return World(rank=int(os.environ.get("RANK", "0")),
                 size=int(os.environ.get("WORLD_SIZE", "1")),
                 local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def start(world: World, device: torch.device) -> None:
    if world.distributed and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo",
                                rank=world.rank, world_size=world.size)


def stop(world: World) -> None:
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()


def all_mean(world: World, values: torch.Tensor) -> torch.Tensor:
    """The element-wise mean of `values` over the processes."""
    if not world.distributed:
        return values
    values = values.clone()
    dist.all_reduce(values)
    return values / world.size


def all_sum(world: World, values: torch.Tensor) -> torch.Tensor:
    if not world.distributed:
        return values
    values = values.clone()
    dist.all_reduce(values)
    return values
