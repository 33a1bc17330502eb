"""A demo report with every check kind and every figure: the repository's own specs plus two
showcase specs, compiled by the real compiler, with results synthesized from known laws
(report_synthetic writes them the way the runtime does).

(A uniquely named module rather than conftest.py, so tests can import its helpers.)"""

from __future__ import annotations

import math
from pathlib import Path

from report_synthetic import Completed, records, write_run

from compiler import compile_spec
from report.site.build import Entry

REPO = Path(__file__).resolve().parents[2]
STEPS = 400

SCHEDULES = """\
# WSD against cosine at three widths, three seeds each, on a two-source mix.
name: showcase-schedules
paper:
  title: "Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations"
  url: https://arxiv.org/abs/2405.18392
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  data:
    sources: {code: {kind: builtin, name: stdlib-code}, prose: {kind: builtin, name: stdlib-prose}}
    mix: {code: 0.5, prose: 0.5}
  budget: {steps: 400}
  eval: {every: 50}
sweep:
  grid: {schedule.kind: [cosine, wsd], model.width: [32, 64, 128]}
  seeds: [0, 1, 2]
claims:
  - id: wsd-below-cosine
    statement: "WSD ends below cosine at every width."
    check: {kind: ordering, metric: final.val_loss, lower: {schedule.kind: wsd},
            higher: {schedule.kind: cosine}}
  - id: wsd-matches-cosine
    statement: "WSD matches cosine within 0.1%."
    check: {kind: matches, metric: final.val_loss, a: {schedule.kind: wsd},
            b: {schedule.kind: cosine}, tolerance: 0.001, relative: true}
  - id: cosine-overtaken
    statement: "Cosine leads during the stable phase, and WSD's decay overtakes it."
    check: {kind: crossing, metric: val_loss, a: {schedule.kind: wsd},
            b: {schedule.kind: cosine}}
  - id: wider-is-better
    statement: "Loss falls with width."
    check: {kind: monotone, metric: final.val_loss, along: model.width,
            direction: decreasing}
  - id: width-scaling
    statement: "Loss falls as a power of width with an exponent near -0.3."
    check: {kind: power_law_fit, metric: final.val_loss, against: model.width,
            where: {schedule.kind: cosine}, exponent: [-0.5, -0.1]}
  - id: annealing-law
    statement: "The annealing law fitted on cosine predicts WSD <b>within 2%</b>."
    check: {kind: curve_fit_predict, law: annealing, fit: {schedule.kind: cosine},
            predict: {schedule.kind: wsd}, tolerance: 0.02, decay_factor: 0.9}
"""

COORD = """\
name: showcase-coord-check
paper: {title: "Tensor Programs V", url: https://arxiv.org/abs/2203.03466}
base:
  model: {width: 32, depth: 1, head_dim: 16, seq_len: 32}
  parametrization: {kind: mup, base_width: 32, base_head_dim: 16}
  budget: {steps: 8}
  eval: {every: 4}
sweep:
  grid: {parametrization.kind: [sp, mup], model.width: [32, 64, 128, 256]}
claims:
  - id: coord-check
    statement: "Under muP no role's activations grow with width."
    check: {kind: slope, metric: final.act_rms/*, against: model.width,
            within: [-0.1, 0.1], where: {parametrization.kind: mup}}
"""


def showcase(root: Path) -> tuple[list[Entry], Path]:
    """Specs (written under root/specs) and a results directory with every run."""
    results = root / "results"
    entries = []
    sources = [("showcase-schedules.yaml", SCHEDULES), ("showcase-coord-check.yaml", COORD)]
    # The demo spec beside the two showcase specs: the catalog's specs read metrics (feature
    # changes, singular values) that these synthesized results do not log, and are reported
    # from their own committed results.
    sources.append(("mup-lr-transfer.yaml", (REPO / "specs" / "mup-lr-transfer.yaml").read_text()))
    for name, text in sources:
        path = root / "specs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        compiled = compile_spec(path)
        for run in compiled.plan.runs:
            write_run(results, run, _outcome(run.config))
        entries.append((compiled.spec, compiled.plan, path))
    return entries, results


def _outcome(config) -> Completed | str | None:
    if config.schedule.kind in ("cosine", "wsd") and config.budget.steps == STEPS:
        return _schedule_run(config)
    if config.budget.steps == 8:
        return _coord_run(config)
    return _lr_sweep_run(config)


def _schedule_run(config) -> Completed:
    """The annealing law (with a short momentum for a short run), lower for wider models;
    the prose source a little harder."""
    def multiplier(step: int) -> float:
        if config.schedule.kind == "cosine":
            return 0.5 * (1 + math.cos(math.pi * (step - 1) / STEPS))
        return min(1.0, (STEPS - step) / (0.2 * STEPS))

    lrs = [config.optimizer.lr * multiplier(s) for s in range(1, STEPS + 1)]
    width = (config.model.width / 32) ** -0.3
    noise = 1 + 0.002 * (config.seed - 1)
    s1 = s2 = m = 0.0
    losses = []
    for before, lr in zip([lrs[0], *lrs[:-1]], lrs, strict=True):
        m = 0.9 * m + (before - lr)
        s1, s2 = s1 + lr, s2 + m
        losses.append((2.0 * width + 0.3 * s1 ** -0.5 - 5.0 * s2) * noise)
    logged = records(range(1, STEPS + 1), lr=lambda s: lrs[s - 1],
                     train_loss=lambda s: losses[s - 1] + 0.02 * math.sin(s))
    for record in logged[49::50]:
        loss = losses[record["step"] - 1]
        record.update({"val_loss": loss, "val_loss/code": loss * 0.95,
                       "val_loss/prose": loss * 1.05})
    final = {k: v for k, v in logged[-1].items() if k == "train_loss" or k.startswith("val_")}
    return Completed(final=final, records=logged)


def _coord_run(config) -> Completed:
    """Per-role activation scales: flat under muP, growing with width under SP."""
    growth = {"embedding": 0.0, "hidden": 0.5, "readout": 1.0}
    mup = config.parametrization.kind == "mup"
    ratio = config.model.width / 32

    def scale(role: str):
        return lambda step: (1 + 0.1 * step) * ratio ** (0.0 if mup else growth[role])

    logged = records(range(1, 9), lr=lambda s: config.optimizer.lr,
                     train_loss=lambda s: 5.5 - 0.1 * s,
                     **{f"act_rms/{role}": scale(role) for role in growth})
    logged[-1]["val_loss"] = 4.7
    return Completed(final={"val_loss": 4.7, "train_loss": 4.7}, records=logged)


def _lr_sweep_run(config) -> Completed | str | None:
    """A bowl in log10(lr) whose centre stays put under muP and moves as 1/width under SP;
    SP diverges at the largest learning rate and width, and one muP run is missing."""
    lr, width = config.optimizer.lr, config.model.width
    if config.parametrization.kind == "sp" and lr >= 0.1 and width >= 128:
        return "diverged"
    if config.parametrization.kind == "mup" and lr == 1e-3 and width == 256:
        return None
    centre = 1e-2 if config.parametrization.kind == "mup" else 1e-2 * 32 / width
    final = 2.0 + 0.3 * (math.log10(lr) - math.log10(centre)) ** 2
    steps = range(1, config.budget.steps + 1)
    logged = records(steps, lr=lambda s: lr, train_loss=lambda s: final + 3.0 / s)
    for record in logged[config.eval.every - 1::config.eval.every]:
        record["val_loss"] = final + 3.0 / record["step"]
    logged[-1]["val_loss"] = final
    return Completed(final={"val_loss": final, "train_loss": final}, records=logged)
