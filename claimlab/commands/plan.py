"""`claimlab plan SPEC [--diff REV]`: the runs a spec plans, their status and cost; or what
changed in them since a git revision."""

from __future__ import annotations

import argparse
from pathlib import Path

from claimlab.options import add_spec_options
from claimlab.plan_diff import DiffReport, render_diff
from claimlab.plan_table import Rate, render
from claimlab.problems import UserError
from claimlab.specs import load_spec
from compiler import CompiledSpec, Plan, SpecError, compile_spec
from compiler.language.files import GitFiles, RevisionError
from compiler.planning.diff import diff_plans
from compiler.planning.estimate import DEFAULT_GPU, DEFAULT_PEAK_FLOPS, DEFAULT_UTILISATION


def plan_command(args: argparse.Namespace) -> int:
    if not 0 < args.utilisation <= 1:
        raise UserError(f"--utilisation must be in (0, 1], found {args.utilisation}")
    if args.peak_tflops <= 0:
        raise UserError(f"--peak-tflops must be positive, found {args.peak_tflops}")
    rate = Rate(peak_flops=args.peak_tflops * 1e12, utilisation=args.utilisation)
    compiled = load_spec(args.spec, args.profiles, args.sets)
    if args.diff is None:
        print(render(compiled.plan, args.results, rate, args.format))
        return 0
    old, note = _compile_at(args.diff, args)
    derived = {*compiled.spec.sweep.derived, *(old.spec.sweep.derived if old else ())}
    diff = diff_plans(old.plan if old else Plan(spec=compiled.spec.name), compiled.plan, derived)
    report = DiffReport(spec=args.spec, old_label=args.diff, diff=diff, results=args.results,
                        rate=rate, note=note)
    print(render_diff(report, args.format), end="" if args.format == "markdown" else "\n")
    return 0


def _compile_at(revision: str, args: argparse.Namespace) -> tuple[CompiledSpec | None, str]:
    """The spec as it was at `revision`, or None and why there is no plan to compare with."""
    try:
        files = GitFiles.at(revision, args.spec)
    except RevisionError as error:
        raise UserError(f"--diff {revision}: {error}") from None
    try:
        files.read(str(args.spec))
    except OSError:
        return None, f"the spec is not in {revision}"
    try:
        return compile_spec(args.spec, profiles=args.profiles, sets=args.sets, files=files), ""
    except SpecError as error:
        return None, f"the spec did not compile at {revision}: {len(error.problems)} problem(s)"


def add_parser(sub: argparse._SubParsersAction, results: Path) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "plan", help="show a spec's runs, their status and cost, or how a change moves them",
        description="List the runs of SPEC's plan with their status in the results directory "
                    "(completed, diverged, failed or to run), swept values, non-embedding "
                    "parameters N, tokens D and 6·N·D FLOPs, with totals in GPU-hours. With "
                    "--diff REV, compare the plan with the plan of the spec (and its "
                    "fragments) at git revision REV: runs added, removed, unchanged, and "
                    "changed (which config paths, and whether completed results are lost).")
    p.add_argument("spec", type=Path, help="the spec file (YAML)")
    p.add_argument("--diff", metavar="REV", help="git revision to compare with, e.g. main")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text",
                   help="text for a terminal, markdown for a pull-request comment, or json")
    p.add_argument("--results", type=Path, default=results, metavar="DIR",
                   help="results directory the status comes from (default: results/)")
    p.add_argument("--utilisation", type=float, default=DEFAULT_UTILISATION, metavar="U",
                   help="share of the GPU's peak a run keeps busy "
                        f"(default: {DEFAULT_UTILISATION:g})")
    p.add_argument("--peak-tflops", type=float, default=DEFAULT_PEAK_FLOPS / 1e12, metavar="T",
                   help=f"peak TFLOP/s of one GPU (default: {DEFAULT_PEAK_FLOPS / 1e12:g}, "
                        f"an {DEFAULT_GPU} in dense bf16)")
    add_spec_options(p)
    p.set_defaults(handler=plan_command)
    return p
