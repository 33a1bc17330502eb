"""The metrics a run will log, by name, known from its config before it runs: what a check's
`metric` may name (`val_loss`, `final.act_rms/hidden`, `final.act_rms/*`).

This mirrors what the runtime writes to metrics.jsonl (runtime/training/trainer.py,
evaluation.py and averaging.py; runtime/diagnostics/): tests/runtime/test_runtime_metric_names.py
trains a run with every measurement on and checks that the two agree, so a metric the runtime
starts logging is added here too. A final metric is a logged one's last value.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from runtime.config.model import ROLES
from runtime.config.run import RunConfig

FINAL = "final."
# Measurements taken only at diagnostic steps, and what turns them on.
DIAGNOSTICS = ("act_rms/", "act_change_rms/", "update_rms/", "sigma_max/",
               "attn_entropy_min/", "attn_entropy_mean/", "tokens_per_s", "flops_per_s")
# Names logged only when a setting asks for them, and that setting.
NEEDS = {"val_loss/ema": "eval.ema is set", "val_loss/avg_last": "eval.average_last is set",
         "sharpness": "eval.sharpness is set",
         "val_loss/ensemble": "a stage is an ensemble (`ensemble: [seeds]`)",
         "val_loss/members": "a stage is an ensemble (`ensemble: [seeds]`)",
         **dict.fromkeys(DIAGNOSTICS, "eval.diagnostics_every is not 0")}


@dataclass(frozen=True)
class Logged:
    """The names some planned runs log: exact names, and prefixes whose every suffix may be
    logged (a top singular value per matrix group: `sigma_max/<group>`)."""

    names: frozenset[str]
    open_prefixes: frozenset[str] = frozenset()

    @classmethod
    def by(cls, configs: Iterable[RunConfig]) -> Logged:
        """What any of `configs` logs."""
        names: set[str] = set()
        prefixes: set[str] = set()
        for config in configs:
            found = logged(config)
            names |= found.names
            prefixes |= found.open_prefixes
        return cls(frozenset(names), frozenset(prefixes))

    def has(self, name: str) -> bool:
        """Whether `name` is logged; a name ending in '*' is a prefix, logged when any
        name that starts with it is."""
        if name.endswith("*"):
            prefix = name[:-1]
            return any(n.startswith(prefix) for n in self.names) or any(
                p.startswith(prefix) or prefix.startswith(p) for p in self.open_prefixes)
        return name in self.names or any(name.startswith(p) and len(name) > len(p)
                                         for p in self.open_prefixes)

    def problem(self, metric: str) -> str | None:
        """Why a check's `metric` (`final.<name>`, a curve's name, either ending in '*') is
        not logged by any planned run, with the closest names; None when it is."""
        final = metric.startswith(FINAL)
        name = metric.removeprefix(FINAL)
        if self.has(name):
            return None
        shown = FINAL if final else ""
        needs = next((setting for family, setting in NEEDS.items()
                      if name.startswith(family) and not self._has_family(family)), None)
        if needs:
            return f"no planned run logs {metric!r}: it is measured only when {needs}"
        known = sorted(self.names) if not name.endswith("*") else \
            sorted({n.split("/")[0] + "/*" for n in self.names if "/" in n})
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        hint = (f"did you mean {', '.join(repr(shown + c) for c in close)}?" if close else
                "the runs log " + ", ".join(shown + n for n in sorted(self.names)
                                            if "/" not in n))
        return f"no planned run logs a metric {metric!r} ({hint})"


    def _has_family(self, family: str) -> bool:
        return any(n.startswith(family) for n in self.names) or family in self.open_prefixes


def logged(config: RunConfig) -> Logged:
    """The names a run of `config` logs at one step or another (besides `step`)."""
    if config.ensemble is not None:   # runtime/training/ensemble.py: it trains nothing
        return Logged(frozenset({"tokens", "val_loss/ensemble", "val_loss/members"}))
    names = {"tokens", "train_loss", "lr", "grad_norm", "time_s"}
    names |= {f"lr/{role}" for role in ROLES}
    sources = sorted(config.data.sources)
    names |= {"val_loss", "val_bpb", *(f"val_loss/{s}" for s in sources),
              *(f"val_bpb/{s}" for s in sources)}
    evaluation = config.eval
    averages = [name for name, kept in (("ema", evaluation.ema),
                                        ("avg_last", evaluation.average_last)) if kept]
    for average in averages:   # runtime/training/averaging.py
        names.add(f"val_loss/{average}")
        if len(sources) > 1:
            names |= {f"val_loss/{average}/{s}" for s in sources}
    if evaluation.sharpness is not None:
        names.add("sharpness")
    prefixes: set[str] = set()
    if evaluation.diagnostics_every:
        names |= {"tokens_per_s", "flops_per_s"}
        names |= {f"{family}/{role}" for family in ("act_rms", "act_change_rms", "update_rms")
                  for role in ROLES}
        names |= {f"{family}/{layer}" for family in ("attn_entropy_min", "attn_entropy_mean")
                  for layer in range(config.model.depth)}
        prefixes.add("sigma_max/")
    return Logged(frozenset(names), frozenset(prefixes))
