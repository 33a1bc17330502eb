"""The axes a check may name: config paths, and the quantities a run has besides its config.

    model.width         a dotted config path (config_paths.py)
    summary.n_params    a number from the run's summary.json, as `final.<metric>` names a final
                        metric (runtime/results.py writes them; runtime/train.py fills them in)
    N, D, C             the sizes scaling-law papers use, derived from the config (DERIVED)
    tokens_per_param

A summary field is known only once the run has finished; a derived quantity is known for every
planned run, so a sweep's points are placed on it before any run has started.
"""

from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import AfterValidator

from compiler.language.config_paths import path_problem

SUMMARY_PREFIX = "summary."

# The numbers a run's summary.json may hold, and what each one is.
SUMMARY_FIELDS: dict[str, str] = {
    "steps": "the last step trained, counted across a chain of stages",
    "tokens": "tokens trained on, counted across a chain of stages",
    "wall_time_s": "seconds the run took, over every attempt",
    "diverged_at": "the step the run diverged at (diverged runs only)",
    "resumed_at": "the step the run last resumed from a checkpoint, when it did",
    "tokens_per_s": "training throughput",
    "flops_per_token": "model FLOPs of a forward and backward pass per token",
    "flops_per_s": "model FLOPs per second of training",
    "mfu": "model FLOP utilisation (GPUs whose peak is known)",
    "n_params": "every parameter of the model, embeddings included",
    "optimizer_state_bytes": "bytes of optimizer state at the end of training",
    "peak_memory_bytes": "peak accelerator memory (GPUs)",
    "world_size": "processes the run trained on",
}

# Quantities derived from each planned run's config (report/quantities.py computes them).
DERIVED: dict[str, str] = {
    "N": "non-embedding parameters (Kaplan et al. 2020): every parameter but the token and "
         "position embeddings and the readout",
    "D": "training tokens: budget.steps x data.batch_size x model.seq_len (an ensemble: "
         "its members' together)",
    "C": "training compute in FLOPs, 6 x N x D",
    "tokens_per_param": "D / N",
}


def axis_problem(name: str) -> str | None:
    """Why `name` is not an axis a check can use, or None when it is."""
    if name in DERIVED:
        return None
    if name.startswith(SUMMARY_PREFIX):
        field = name.removeprefix(SUMMARY_PREFIX)
        if field in SUMMARY_FIELDS:
            return None
        close = difflib.get_close_matches(field, SUMMARY_FIELDS, n=1, cutoff=0.6)
        hint = (f"did you mean '{SUMMARY_PREFIX}{close[0]}'?" if close
                else f"summary fields: {', '.join(SUMMARY_FIELDS)}")
        return f"unknown summary field {name!r} ({hint})"
    problem = path_problem(name)
    if problem is None:
        return None
    derived = difflib.get_close_matches(name, DERIVED, n=1, cutoff=0.6) or \
        [d for d in DERIVED if d.lower() == name.lower()]
    if derived:
        return f"{problem.split(' (')[0]} (did you mean the run quantity {derived[0]!r}?)"
    return problem


def is_config_path(name: str) -> bool:
    """Whether the axis `name` is a config path (rather than a summary field or N, D, C)."""
    return name not in DERIVED and not name.startswith(SUMMARY_PREFIX)


def _check(name: str) -> str:
    problem = axis_problem(name)
    if problem:
        raise ValueError(problem)
    return name


# What a check's axis may name: a config path, `summary.<field>`, or N, D, C, tokens_per_param.
Axis = Annotated[str, AfterValidator(_check)]
