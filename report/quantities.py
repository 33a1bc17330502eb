"""The derived run quantities a check may use as an axis (N, D, C, tokens_per_param), computed
from each planned run's config, so they are known before a run has started.

Their names and meanings are the spec language's (compiler/language/run_quantities.py).
"""

from __future__ import annotations

from runtime.config.run import RunConfig
from runtime.model.flops import non_embedding_params


def derived(config: RunConfig) -> dict[str, float]:
    """Each quantity compiler.language.run_quantities.DERIVED names, for `config`."""
    n = non_embedding_params(config.model)
    steps = config.budget.steps
    if config.ensemble is not None:
        # An ensemble's data and compute are its members' together (each trained the
        # steps of its stage, up to the one the ensemble reads), so that an ensemble can
        # be set against a single run of the same compute.
        steps = len(config.ensemble.runs) * min(config.ensemble.step, steps)
    d = steps * config.data.batch_size * config.model.seq_len
    return {"N": n, "D": d, "C": 6.0 * n * d, "tokens_per_param": d / n}
