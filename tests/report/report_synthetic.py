"""Synthetic experiments for the report's tests: a spec, its plan, and a results directory
written the way the runtime writes one (runtime/results.py), with losses from a formula.

(A uniquely named module rather than conftest.py, so tests can import its helpers.)"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compiler.language.spec import Spec
from compiler.planning.plan import Plan, PlannedRun
from report.checks import run_check
from report.checks.verdict import CheckResult
from report.table import Curves, runs_table
from runtime.config.run import RunConfig
from runtime.results import run_dir, write_json_atomic

LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
WIDTHS = [64, 256, 1024]


def mup_claim(claim_id: str = "lr-stable-under-mup",
              statement: str = "Under muP the best LR does not move with width.",
              **check: Any) -> dict[str, Any]:
    args = {"kind": "argmin_stable", "metric": "final.val_loss", "over": "optimizer.lr",
            "across": "model.width", "where": {"parametrization.kind": "mup"},
            "tolerance": 0.5, **check}
    return {"id": claim_id, "statement": statement, "check": args}


def sweep_spec(grid: dict[str, list], claims: list[dict], seeds: tuple[int, ...] = (0,),
               **extra: Any) -> Spec:
    """A spec that sweeps `grid` over a short base run, for `seeds`."""
    return Spec.model_validate({
        "name": "synthetic", "base": {"budget": {"steps": 40}, "eval": {"every": 20}},
        "sweep": {"grid": grid, "seeds": list(seeds)}, "claims": claims, **extra})


def transfer_spec(grid: dict[str, list] | None = None, seeds: tuple[int, ...] = (0,),
                  claims: list[dict] | None = None, **extra: Any) -> Spec:
    """A muP-vs-SP learning-rate sweep across width."""
    grid = grid or {"model.width": WIDTHS, "optimizer.lr": LRS,
                    "parametrization.kind": ["sp", "mup"]}
    return sweep_spec(grid, claims if claims is not None else [mup_claim()], seeds,
                      **{"name": "mup-transfer", "paper": {"title": "Tensor Programs V"},
                         **extra})


def evaluate(experiment: Experiment, claim: int = 0) -> CheckResult:
    """The verdict on one of the experiment's claims, as the report computes it."""
    table = runs_table(experiment.plan, experiment.results)
    return run_check(experiment.spec.claims[claim].check, table, Curves(experiment.results))


def plan_for(spec: Spec) -> Plan:
    """Every grid point times every seed (the compiler's expansion, for explicit lists)."""
    runs = []
    for values in itertools.product(*spec.sweep.grid.values()):
        for seed in spec.sweep.seeds:
            overrides = {**dict(zip(spec.sweep.grid, values, strict=True)), "seed": seed}
            config = _with_overrides(spec.base, overrides)
            runs.append(PlannedRun(id=config.run_id(), overrides=overrides, config=config))
    return Plan(spec=spec.name, runs=tuple(sorted(runs, key=lambda run: run.id)))


def _with_overrides(base: RunConfig, overrides: dict[str, Any]) -> RunConfig:
    data = base.model_dump(mode="json")
    for path, value in overrides.items():
        *parents, leaf = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[leaf] = value
    return RunConfig.model_validate(data)


def transfer_loss(config: RunConfig) -> float:
    """A bowl in log10(lr): centred at 1e-2 under muP at every width; under SP the centre
    moves as 1/width (1e-2 at 64, 2.5e-3 at 256, 6.25e-4 at 1024)."""
    centre = 1e-2 if config.parametrization.kind == "mup" else 1e-2 * 64 / config.model.width
    return 2.0 + 0.3 * (math.log10(config.optimizer.lr) - math.log10(centre)) ** 2


@dataclass(frozen=True)
class Completed:
    """A completed run with these final metrics and, when given, these logged records
    (else a curve that falls to the final val_loss)."""

    final: dict[str, float]
    records: list[dict[str, float]] | None = None


@dataclass(frozen=True)
class Diverged:
    """A run that diverged at step `at`, having logged these records up to it."""

    records: list[dict[str, float]]
    at: int


# What became of a run: a final val loss or Completed (completed), Diverged, or a status
# without one.
Outcome = float | str | Completed | Diverged | None     # None: never started (missing)


def records(steps: range, *, lr: Callable[[int], float], **metrics: Callable[[int], float]
            ) -> list[dict[str, float]]:
    """One record per step with `lr` and each metric given as a function of the step."""
    return [{"step": step, "lr": lr(step), **{name: f(step) for name, f in metrics.items()}}
            for step in steps]


@dataclass(frozen=True)
class Experiment:
    spec: Spec
    plan: Plan
    results: Path


def write_run(results: Path, run: PlannedRun, outcome: Outcome) -> None:
    """The files the runtime leaves for a run that ended as `outcome`."""
    if outcome is None:
        return
    directory = run_dir(results, run.id)
    directory.mkdir(parents=True, exist_ok=True)    # specs that need the same run share it
    write_json_atomic(directory / "config.json", run.config.model_dump(mode="json"))
    if isinstance(outcome, float):
        outcome = Completed(final={"val_loss": outcome, "train_loss": outcome - 0.1})
    steps = run.config.budget.steps
    logged = outcome.records if isinstance(outcome, Completed | Diverged) else None
    with (directory / "metrics.jsonl").open("w", encoding="utf-8") as f:
        for record in logged or _falling_curve(run, outcome):
            f.write(json.dumps(record) + "\n")
    if outcome == "unfinished":
        return
    summary: dict[str, Any] = {"id": run.id, "steps": steps, "tokens": steps * 2048,
                               "wall_time_s": 1.5, "final": {}}
    if isinstance(outcome, Completed):
        summary.update(status="completed", final=outcome.final)
    elif isinstance(outcome, Diverged):
        summary.update(status="diverged", diverged_at=outcome.at)
    elif outcome == "diverged":
        summary.update(status="diverged", diverged_at=17)
    elif outcome == "failed":
        summary.update(status="failed", error="RuntimeError: out of memory")
    write_json_atomic(directory / "summary.json", summary)


def _falling_curve(run: PlannedRun, outcome: Outcome) -> list[dict[str, float]]:
    final = outcome.final.get("val_loss", 3.0) if isinstance(outcome, Completed) else 3.0
    curve = []
    for step in range(0, run.config.budget.steps + 1, 10):
        record = {"step": step, "tokens": step * 2048, "train_loss": final + 2.0 / (1 + step),
                  "lr": run.config.optimizer.lr, "grad_norm": 1.0, "time_s": step * 0.01}
        if step % run.config.eval.every == 0:
            record["val_loss"] = final + 2.5 / (1 + step)
        curve.append(record)
    return curve


def write_source(root: Path, spec: Spec) -> Path:
    """The spec as a YAML file under root/specs/, named after it."""
    path = root / "specs" / f"{spec.name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec.model_dump(mode="json", exclude_unset=True)))
    return path


def make_experiment(root: Path, spec: Spec | None = None,
                    outcome: Callable[[RunConfig], Outcome] | None = None) -> Experiment:
    """A spec's plan with its results written under `root`: `outcome(config)` says how each
    run ended (default: completed, with transfer_loss)."""
    spec = spec or transfer_spec()
    plan = plan_for(spec)
    results = root / "results"
    for run in plan.runs:
        write_run(results, run, outcome(run.config) if outcome else transfer_loss(run.config))
    return Experiment(spec=spec, plan=plan, results=results)
