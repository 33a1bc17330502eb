"""`claimlab params SPEC [--run ID] [--json]`: every parameter of a run's model with the numbers
its parametrization gives it, computed without allocating the model.

Per parameter: `name`, `shape`, `role`, `init_mean`, `init_std`, `lr` (the peak LR it trains at: the
optimizer's times the role's multiplier), `weight_decay` (as the optimizer applies it: the
config's times the role's multiplier) and `multiplier` (the constant its module's output is
multiplied by in the forward pass).
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from claimlab.options import add_spec_options
from claimlab.runs import add_run_arguments, pick_run
from claimlab.specs import load_spec
from claimlab.tables import swept_text, text_table
from compiler.planning.plan import PlannedRun
from runtime.config.run import RunConfig
from runtime.model.parametrization import attention_scale, residual_multiplier, width_mult


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "params", help="show each parameter's init, learning rate, weight decay and multiplier",
        description="Show every parameter of a run's model with its role and the init std, "
                    "peak learning rate, weight decay and forward multiplier its "
                    "parametrization gives it.")
    add_run_arguments(p, needed_when="the runs' models differ")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list, one object per parameter")
    add_spec_options(p)
    p.set_defaults(handler=params_command)


def params_command(args: argparse.Namespace) -> int:
    compiled = load_spec(args.spec, args.profiles, args.sets)
    run = pick_run(compiled.plan, args.run, args.spec, same=_model_identity,
                   differ="differ in their models")
    rows = parameters(run.config)
    if args.json:
        print("[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]")
    else:
        print(render(run.id, run.overrides, run.config, rows))
    return 0


def parameters(config: RunConfig) -> list[dict[str, Any]]:
    from runtime.model.gpt import param_table  # torch: imported only by the commands that train

    optimizer = config.optimizer
    return [{"name": rule.name, "shape": list(rule.shape), "role": rule.role,
             "init_mean": rule.init_mean, "init_std": rule.init_std,
             "lr": optimizer.lr * rule.lr_mult,
             "weight_decay": optimizer.weight_decay * rule.wd_mult,
             "multiplier": rule.forward_mult}
            for rule in param_table(config.model, config.parametrization)]


def render(run_id: str, overrides: dict[str, Any], config: RunConfig,
           rows: list[dict[str, Any]]) -> str:
    model, param = config.model, config.parametrization
    head = (f"run {run_id}: {param.kind}, width {model.width} (m = "
            f"{width_mult(model.width, param):g}), depth {model.depth}, attention scale "
            f"{attention_scale(model, param):.4g}, residual multiplier "
            f"{residual_multiplier(model, param):.4g}, {config.optimizer.kind} "
            f"lr {config.optimizer.lr:g}")
    if overrides:
        head += f"\n  {swept_text(overrides)}"
    table = text_table(
        ["name", "shape", "role", "init mean", "init std", "lr", "weight decay", "multiplier"],
        [[r["name"], "x".join(map(str, r["shape"])), r["role"], f"{r['init_mean']:g}",
          f"{r['init_std']:.4g}",
          f"{r['lr']:.4g}", f"{r['weight_decay']:.4g}", f"{r['multiplier']:.4g}"]
         for r in rows])
    total = sum(math.prod(r["shape"]) for r in rows)
    return f"{head}\n\n{table}\n\n{len(rows)} parameters, {total:,} numbers"


def _model_identity(run: PlannedRun) -> str:
    """What decides the table: the model, the parametrization and the optimizer."""
    config = run.config
    return json.dumps([config.model.model_dump(mode="json"),
                       config.parametrization.model_dump(mode="json"),
                       config.optimizer.model_dump(mode="json")], sort_keys=True)
