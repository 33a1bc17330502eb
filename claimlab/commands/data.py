"""`claimlab data SPEC [--run ID] [--json]`: what a run will train on, before paying for it.

Prepares the run's sources (building their caches on first use) and draws its first batches
with the run's own sampler, so the shares it shows are the ones the run will see.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from claimlab.options import add_spec_options
from claimlab.problems import UserError
from claimlab.runs import add_run_arguments, pick_run
from claimlab.specs import load_spec
from claimlab.tables import swept_text, text_table
from compiler.planning.plan import PlannedRun

SAMPLE_CHARS = 100


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "data", help="show what a run will train on: sources, phases, shares, samples",
        description="Show each source of a run's data (size, split, cache), and per phase the "
                    "planned and the realised share of each source over the phase's first "
                    "batches, with decoded samples.")
    add_run_arguments(p, needed_when="the runs differ in their data")
    p.add_argument("--batches", type=int, default=100, metavar="N",
                   help="batches per phase the realised shares count (default: 100)")
    p.add_argument("--samples", type=int, default=2, metavar="K",
                   help="decoded samples per source and phase (default: 2)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    add_spec_options(p)
    p.set_defaults(handler=data_command)


def data_command(args: argparse.Namespace) -> int:
    if args.batches < 1 or args.samples < 0:
        raise UserError("--batches must be at least 1 and --samples at least 0")
    compiled = load_spec(args.spec, args.profiles, args.sets)
    run = pick_run(compiled.plan, args.run, args.spec, same=_data_identity,
                   differ="differ in their data")
    from runtime.data.inspect import describe_data  # torch: imported only when needed

    try:
        described = describe_data(run.config, batches=args.batches, samples=args.samples)
    except (ValueError, OSError) as error:
        raise UserError(f"{args.spec}: run {run.id}: {error}") from None
    described = {"spec": compiled.spec.name, "run": run.id, "overrides": run.overrides,
                 **described}
    print(json.dumps(described, indent=2) if args.json else render(described))
    return 0


def _data_identity(run: PlannedRun) -> str:
    """What decides the batches a run draws."""
    config = run.config
    return json.dumps([config.data.model_dump(mode="json"), config.budget.steps,
                       config.model.seq_len, config.seed], sort_keys=True)


def render(described: dict[str, Any]) -> str:
    steps, batch, seq_len = described["steps"], described["batch_size"], described["seq_len"]
    head = (f"run {described['run']} of {described['spec']}: {steps:,} steps x {batch} "
            f"sequences x {seq_len} tokens, seed {described['seed']}")
    if described["overrides"]:
        head += f"\n  {swept_text(described['overrides'])}"
    return "\n\n".join([head, _sources(described["sources"]),
                        *(_phase(phase) for phase in described["phases"])])


def _sources(sources: list[dict[str, Any]]) -> str:
    header = ["source", "kind", "train tokens", "docs", "val tokens", "docs", "bytes/token",
              "order", "loss weight", "draws", "epochs"]
    rows = [[s["name"], _kind(s["source"]), _used(s), f"{s['train']['documents']:,}",
             f"{s['val']['tokens']:,}", f"{s['val']['documents']:,}",
             "-" if s["bytes_per_token"] is None else f"{s['bytes_per_token']:.3g}",
             s["order"], f"{s['loss_weight']:g}", f"{s['draws']:,}",
             "-" if s["epochs"] is None else f"{s['epochs']:.3g}"] for s in sources]
    caches = "\n".join(f"  {s['name']}: {s['cache']}" for s in sources)
    return f"{text_table(header, rows)}\ncaches\n{caches}"


def _kind(source: dict[str, Any]) -> str:
    kind = source["kind"]
    if kind == "builtin":
        return source["name"]
    if kind in ("shifted", "corrupted"):
        return f"{kind} {_kind(source['base'])}"
    return kind


def _used(source: dict[str, Any]) -> str:
    total, used = source["train"]["tokens"], source["used_train_tokens"]
    return f"{total:,}" if used == total else f"{used:,} of {total:,}"


def _phase(phase: dict[str, Any]) -> str:
    head = (f"phase {phase['name']}: steps {phase['first_step']:,}-{phase['last_step']:,} "
            f"(from token {phase['first_token']:,}); realised over its first "
            f"{phase['batches_realised']} batches")
    rows = [[name, f"{planned:.1%}", f"{phase['realised'][name]:.1%}"]
            for name, planned in phase["planned"].items()]
    samples = [f"  {name}: {_one_line(text)}"
               for name, texts in phase["samples"].items() for text in texts]
    parts = [head, text_table(["source", "planned", "realised"], rows)]
    if samples:
        parts.append("samples\n" + "\n".join(samples))
    return "\n".join(parts)


def _one_line(text: str) -> str:
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    return escaped if len(escaped) <= SAMPLE_CHARS else escaped[:SAMPLE_CHARS - 3] + "..."
