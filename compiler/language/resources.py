"""`resources`: what each run of a spec needs on a cluster, for the Slurm emitter.

Spec-level, not part of any run's config or id: it changes where and how fast a run trains,
not what it computes.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from compiler.language.spec_base import SpecModel

# Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S.
_TIME = re.compile(r"\d+(:\d{1,2}){0,2}|\d+-\d+(:\d{1,2}){0,2}")
_MEMORY = re.compile(r"\d+[KMGT]?")


def _time(value: str) -> str:
    if not _TIME.fullmatch(value):
        raise ValueError("expected a Slurm time like 90 (minutes), 04:00:00 or 2-00:00:00, "
                         f"found {value!r}")
    return value


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
    nodes: int = Field(1, ge=1, description="nodes per run")
    gpus_per_node: int = Field(
        1, ge=0, description="GPUs per node, one process each (0: one CPU process per node)")
    cpus_per_gpu: int | None = Field(None, ge=1, description="CPU cores per GPU")
    memory: SlurmMemory | None = Field(None, description="memory per node, e.g. 64G")
    time: SlurmTime = Field("04:00:00", description="time limit of each run, e.g. 04:00:00")
    account: SlurmName | None = Field(None, description="Slurm account to charge")
    partition: SlurmName | None = Field(None, description="Slurm partition")
    qos: SlurmName | None = Field(None, description="Slurm quality of service")
    array_limit: int = Field(16, ge=1, description="runs at most this many at once (the "
                                                   "job array's % limit)")
    retries: int = Field(2, ge=0, le=20, description="times a failed run is requeued")
    port: int = Field(29500, ge=1024, le=65535 - 1000,
                      description="rendezvous port on each run's first node (plus the "
                                  "array index modulo 1000, so runs sharing a node differ)")
