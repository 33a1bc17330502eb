"""`resources`: what each run of a spec needs on a cluster, for the Slurm emitter.

Spec-level, not part of any run's config or id: it changes where and how fast a run trains,
not what it computes.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from compiler.language.spec_base import SpecModel

# Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S.
_TIME = re.compile(r"\d+(:\d{1,2}){0,2}|\d+-\d+(:\d{1,2}){0,2}")
_MEMORY = re.compile(r"\d+[KMGT]?")


def _time(value: str) -> str:
    if not _TIME.fullmatch(value):
        raise ValueError("expected a Slurm time like 90 (minutes), 04:00:00 or 2-00:00:00, "
                         f"found {value!r}")
    return value


def time_seconds(value: str) -> int:
    """A Slurm time (one `_time` accepts) in seconds."""
    days, _, clock = value.rpartition("-")
    parts = [int(part) for part in clock.split(":")]
    if days:  # D-H, D-H:M, D-H:M:S
        units, seconds = (3600, 60, 1), int(days) * 86400
    else:  # M, M:S, H:M:S
        units, seconds = ((60, 1) if len(parts) < 3 else (3600, 60, 1)), 0
    return seconds + sum(part * unit for part, unit in zip(parts, units))


def _memory(value: str) -> str:
    if not _MEMORY.fullmatch(value):
        raise ValueError(f"expected a Slurm memory size like 64G or 500M, found {value!r}")
    return value


def _one_line(value: str) -> str:
    if not value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"expected a non-empty name on one line, found {value!r}")
    return value


SlurmTime = Annotated[str, AfterValidator(_time)]
SlurmMemory = Annotated[str, AfterValidator(_memory)]
SlurmName = Annotated[str, AfterValidator(_one_line)]


class Resources(SpecModel):
    nodes: int = Field(1, ge=1)
    """nodes per run"""
    gpus_per_node: int = Field(0, ge=0)
    """GPUs per node, one process each; 0 asks for none (one CPU process per node), so a
    toy-scale spec submits to a cluster without GPUs"""
    cpus_per_gpu: int | None = Field(None, ge=1)
    """CPU cores per GPU"""
    memory: SlurmMemory | None = None
    """memory per node, e.g. 64G"""
    time: SlurmTime = "04:00:00"
    """time limit of each run, e.g. 04:00:00; a run still going near it is requeued and
    resumes from its checkpoint"""
    stop_before: int = Field(120, ge=1, le=65535)
    """seconds before the time limit at which a run is asked to checkpoint and stop, to be
    requeued (Slurm may ask up to a minute sooner)"""
    account: SlurmName | None = None
    """Slurm account to charge"""
    partition: SlurmName | None = None
    """Slurm partition"""
    qos: SlurmName | None = None
    """Slurm quality of service"""
    array_limit: int = Field(16, ge=1)
    """runs at most this many at once (the job array's % limit)"""
    retries: int = Field(2, ge=0, le=20)
    """times a failed run is requeued (stopping at the time limit is not a failure)"""
    port: int = Field(29500, ge=1024, le=65535 - 1000)
    """rendezvous port on a multi-node run's first node, plus its job id modulo 1000, so runs
    sharing a node differ (a one-node run takes any free port)"""

    @model_validator(mode="after")
    def _stops_within_the_time_limit(self) -> Resources:
        limit = time_seconds(self.time)
        if self.stop_before >= limit:
            raise ValueError(f"stop_before ({self.stop_before} s) must be shorter than the "
                             f"time limit ({self.time!r}, {limit} s)")
        return self
