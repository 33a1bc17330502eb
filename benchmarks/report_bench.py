"""Report at scale: build the site over 1,000 synthetic runs with 2,000 metric rows each.

Targets: the whole build (reading results, every check, every figure, mkdocs) in at most
60 s, and each claim page at most 1.5 MB without the shared plotly.js. The baseline is the
least any report over these results must do: read every metrics.jsonl and parse each line,
timed in the same run.

    python benchmarks/report_bench.py [--runs-dir DIR]

The synthetic results (about 250 MB of JSON lines) are written to a temporary directory, or
to DIR and reused when DIR already holds them.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

from compiler import compile_spec
from report.site.build import build_report
from runtime.results import iter_metrics, run_dir, write_json_atomic

REPO = Path(__file__).resolve().parent.parent
ROWS = 2000
PAGE_LIMIT = 1.5e6
TIME_LIMIT = 60.0

SPEC = """\
name: report-bench
paper: {title: "Report benchmark", url: https://example.org/report-bench}
base:
  model: {width: 64, depth: 2, head_dim: 16, seq_len: 64}
  parametrization: {kind: mup, base_width: 64, base_head_dim: 16}
  data:
    sources: {code: {kind: builtin, name: stdlib-code}, prose: {kind: builtin, name: stdlib-prose}}
    mix: {code: 0.5, prose: 0.5}
  budget: {steps: 2000}
  eval: {every: 50}
sweep:
  grid:
    parametrization.kind: [sp, mup]
    model.width: [64, 128, 256, 512, 1024]
    optimizer.lr: {logspace: [1.0e-4, 1.0e-1, 10]}
  seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
claims:
  - id: optimum-stable-under-mup
    statement: "Under muP the best learning rate does not move with width."
    check: {kind: argmin_stable, metric: final.val_loss, over: optimizer.lr,
            across: model.width, where: {parametrization.kind: mup}}
  - id: mup-below-sp
    statement: "muP ends below SP at every width and learning rate."
    check: {kind: ordering, metric: final.val_loss, lower: {parametrization.kind: mup},
            higher: {parametrization.kind: sp}}
  - id: curves-cross
    statement: "muP's curves cross SP's."
    check: {kind: crossing, metric: val_loss, a: {parametrization.kind: mup},
            b: {parametrization.kind: sp}}
  - id: wider-is-better
    statement: "Under muP, loss falls with width at every learning rate."
    check: {kind: monotone, metric: final.val_loss, along: model.width,
            direction: decreasing, where: {parametrization.kind: mup}}
  - id: coord-check
    statement: "Under muP activations do not grow with width."
    check: {kind: slope, metric: final.act_rms/*, against: model.width, within: [-0.1, 0.1],
            where: {parametrization.kind: mup, optimizer.lr: 0.001}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", type=Path, help="where to keep the synthetic results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="claimlab-report-bench-") as scratch:
        root = args.runs_dir or Path(scratch)
        spec_file = root / "specs" / "report-bench.yaml"
        spec_file.parent.mkdir(parents=True, exist_ok=True)
        spec_file.write_text(SPEC)
        compiled = compile_spec(spec_file)
        results = root / "results"
        rows = _write_results(compiled.plan.runs, results)
        baseline = _read_all(compiled.plan.runs, results)
        start = time.perf_counter()
        report = build_report([(compiled.spec, compiled.plan, spec_file)], results,
                              root / "site", config_file=REPO / "mkdocs.yml")
        build = time.perf_counter() - start
        pages = {c.claim: c.page.stat().st_size for c in report.claims}
        _print_table(len(compiled.plan.runs), rows, baseline, build, pages)


def _write_results(runs, results: Path) -> int:
    """Every run's files as the runtime leaves them; returns the metric rows written."""
    for run in runs:
        directory = run_dir(results, run.id)
        if (directory / "summary.json").is_file():
            continue
        directory.mkdir(parents=True, exist_ok=True)
        write_json_atomic(directory / "config.json", run.config.model_dump(mode="json"))
        lines, final = _curve(run.config)
        (directory / "metrics.jsonl").write_text("".join(lines))
        write_json_atomic(directory / "summary.json", {
            "id": run.id, "status": "completed", "steps": ROWS, "tokens": ROWS * 1024,
            "wall_time_s": 60.0, "final": final})
    return len(runs) * ROWS


def _curve(config) -> tuple[list[str], dict[str, float]]:
    """A loss that falls over ROWS steps to a bowl in log10(lr) that depends on width."""
    centre = 1e-2 if config.parametrization.kind == "mup" else 1e-2 * 64 / config.model.width
    floor = 2.0 + 0.3 * (math.log10(config.optimizer.lr) - math.log10(centre)) ** 2 \
        - 0.05 * math.log2(config.model.width / 64) + 0.002 * config.seed
    growth = 0.0 if config.parametrization.kind == "mup" else 0.5
    lines, record = [], {}
    for step in range(1, ROWS + 1):
        loss = floor + 3.0 / math.sqrt(step)
        record = {"step": step, "tokens": step * 1024, "train_loss": loss + 0.01 * math.sin(step),
                  "lr": config.optimizer.lr, "grad_norm": 1.0, "time_s": step * 0.03}
        if step % config.eval.every == 0:
            record.update({"val_loss": loss, "val_loss/code": loss * 0.95,
                           "val_loss/prose": loss * 1.05})
        if step % 100 == 0:
            record.update({f"act_rms/{role}": (config.model.width / 64) ** growth
                           for role in ("embedding", "hidden", "readout")})
        lines.append(json.dumps(record) + "\n")
    final = {k: v for k, v in record.items() if k == "train_loss" or k.startswith("val_")}
    return lines, final


def _read_all(runs, results: Path) -> float:
    start = time.perf_counter()
    for run in runs:
        for _ in iter_metrics(results, run.id):
            pass
    return time.perf_counter() - start


def _print_table(runs: int, rows: int, baseline: float, build: float,
                 pages: dict[str, int]) -> None:
    largest = max(pages.values())
    print(f"report over {runs:,} runs, {rows:,} metric rows\n")
    print("| measure | value | target | vs baseline |")
    print("|---|---|---|---|")
    print(f"| baseline: read and parse every metrics.jsonl | {baseline:.1f} s | | 1x |")
    print(f"| build the report site | {build:.1f} s | <= {TIME_LIMIT:.0f} s "
          f"| {build / baseline:.1f}x |")
    for claim, size in pages.items():
        print(f"| claim page {claim} | {size / 1e6:.2f} MB | <= {PAGE_LIMIT / 1e6:.1f} MB | |")
    verdict = "meets" if build <= TIME_LIMIT and largest <= PAGE_LIMIT else "MISSES"
    print(f"\n{verdict} the targets (largest claim page {largest / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
