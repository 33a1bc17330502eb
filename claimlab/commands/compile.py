"""`claimlab compile SPEC [--target slurm]`: validate a spec and write its plan, jobs and launch
scripts."""

from __future__ import annotations

import argparse
from pathlib import Path

from claimlab.options import add_resource_options, add_spec_options, resource_sets
from claimlab.plan_table import statuses
from claimlab.problems import UserError
from claimlab.specs import default_plan_dir, load_spec
from launch.emit import write_plan, write_slurm
from launch.slurm import SlurmPathError
from runtime.results import FINISHED


def add_parser(sub: argparse._SubParsersAction, default_results: Path) -> None:
    p = sub.add_parser("compile", help="validate a spec and write its plan, jobs and launch.sh",
                       description="Validate SPEC and write DIR/plan.json, DIR/jobs/<id>.json "
                                   "and DIR/launch.sh; with --target slurm, also "
                                   "DIR/<spec name>.sbatch, a Slurm job array of the runs "
                                   "(with stages, one array per level and DIR/submit.sh, "
                                   "which submits them in order).")
    p.add_argument("spec", type=Path, help="the spec file (YAML)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="where to write the plan (default: build/plans/<spec name>/)")
    p.add_argument("--results", type=Path, default=default_results, metavar="DIR",
                   help="results directory, to count runs already finished and for jobs to "
                        "write to (default: results/)")
    p.add_argument("--target", choices=("local", "slurm"), default="local",
                   help="local: launch.sh only; slurm: also Slurm job scripts (default: local)")
    add_spec_options(p)
    add_resource_options(p)
    p.set_defaults(handler=compile_command)


def compile_command(args: argparse.Namespace) -> int:
    compiled = load_spec(args.spec, args.profiles, [*args.sets, *resource_sets(args)])
    out = args.out or default_plan_dir(compiled.spec.name)
    write_plan(compiled.plan, out)
    written = [f"{out}/plan.json", f"{out}/jobs/", f"{out}/launch.sh"]
    submit = None
    if args.target == "slurm":
        try:
            scripts, submit = write_slurm(compiled.plan, out, args.results)
        except SlurmPathError as error:
            raise UserError(str(error)) from None
        written += [str(script) for script in scripts]
    found = statuses(args.results, [run.id for run in compiled.plan.runs])
    finished = sum(status in FINISHED for status in found.values())
    print(f"{compiled.spec.name}: {len(compiled.plan.runs)} runs in plan, "
          f"{finished} already finished, {len(compiled.plan.runs) - finished} to run")
    print(f"wrote {', '.join(written)}")
    if submit is not None:
        print(f"submit with: {submit}")
    return 0
