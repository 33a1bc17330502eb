"""`claimlab coord-check SPEC [--run ID] [--widths ...] [--steps N] [--json]`: train a run at
several widths for a few steps and show how each role's activation size moves with width
(the coordinate check of Tensor Programs V): slopes near 0 mean the parametrization keeps
activations the same size as the model widens."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from claimlab.options import add_spec_options
from claimlab.problems import UserError
from claimlab.runs import add_run_arguments, pick_run
from claimlab.specs import load_spec
from claimlab.tables import text_table

if TYPE_CHECKING:
    from runtime.diagnostics.coord_check import CoordCheck


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "coord-check", help="train a run at several widths and show activation size vs width",
        description="Train a run for a few steps at each width (head_dim fixed, more heads) "
                    "and print each role's activation RMS per width and its log-log slope "
                    "against width. Under a parametrization right for the optimizer the slopes "
                    "stay near 0; under SP with Adam, hidden activations and logits grow.")
    add_run_arguments(p)
    p.add_argument("--widths", type=int, nargs="+", default=[64, 128, 256, 512],
                   metavar="W", help="widths to train at (default: 64 128 256 512)")
    p.add_argument("--steps", type=int, default=5, metavar="N",
                   help="training steps at each width (default: 5)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_spec_options(p)
    p.set_defaults(handler=coord_check_command)


def coord_check_command(args: argparse.Namespace) -> int:
    if args.steps < 1 or len(args.widths) < 2:
        raise UserError("--steps must be at least 1 and --widths name at least two widths")
    compiled = load_spec(args.spec, args.profiles, args.sets)
    run = pick_run(compiled.plan, args.run, args.spec, same=lambda r: r.id,
                   differ="are different runs")
    head_dim = run.config.model.head_dim
    odd = [w for w in args.widths if w % head_dim]
    if odd:
        raise UserError(f"--widths {' '.join(map(str, odd))}: not a multiple of the run's "
                        f"head_dim ({head_dim})")
    from runtime.diagnostics.coord_check import coord_check  # torch: imported only when needed

    result = coord_check(run.config, args.widths, args.steps)
    print(json.dumps({"run": run.id, "widths": list(result.widths), "rms": result.rms,
                      "slopes": result.slopes()}, indent=2) if args.json
          else render(run.id, result))
    return 0


def render(run_id: str, result: CoordCheck) -> str:
    rows = [[role, *(f"{value:.4g}" for value in per_step[-1]), f"{result.slopes()[role]:+.2f}"]
            for role, per_step in result.rms.items()]
    steps = len(next(iter(result.rms.values())))
    return (f"run {run_id}: activation RMS at step {steps} (after {steps - 1} updates)\n\n"
            + text_table(["role", *(f"width {w}" for w in result.widths), "slope"], rows))
