"""Where a run computes, and how: CUDA with bf16 autocast, TF32, fused AdamW and the flash
attention kernel when a GPU is present; plain fp32 on the CPU."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from runtime.model.flops import peak_flops


@dataclass(frozen=True)
class Device:
    device: torch.device

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def name(self) -> str:
        return torch.cuda.get_device_name(self.device) if self.cuda else "cpu"

    @property
    def peak_flops(self) -> float | None:
        return peak_flops(self.name if self.cuda else None)

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Matrix multiplies in bf16 on CUDA (weights and optimizer stay fp32)."""
        if self.cuda:
            with torch.autocast("cuda", dtype=torch.bfloat16):
                yield
        else:
            yield

    def synchronize(self) -> None:
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def peak_memory_bytes(self) -> int | None:
        return torch.cuda.max_memory_allocated(self.device) if self.cuda else None


def pick(requested: str | None, local_rank: int = 0) -> Device:
    """The requested device, else this process's GPU when there is one, else the CPU."""
    if requested is None:
        requested = f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu"
    device = Device(torch.device(requested))
    if device.cuda:
        torch.cuda.set_device(device.device)
        # TF32 for whatever stays in fp32 outside autocast.
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return device
