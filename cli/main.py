"""`claimlab`: the one command line, and the only module that touches compiler, runtime and report.

    claimlab compile SPEC [--out DIR]             validate a spec, write its plan and jobs
    claimlab run SPEC_OR_PLAN_DIR [--jobs N]      train every run not yet finished
    claimlab report [SPEC ...] [--serve]          evaluate claims, build the site (and serve it)
    claimlab data SPEC [--run ID] [--json]        show what a run will train on
    claimlab params SPEC [--run ID] [--json]      show each parameter's init, lr, decay, multiplier
    claimlab coord-check SPEC [--run ID]          activation size against width, per role
    claimlab plan SPEC [--diff REV]               show runs, status and cost, or a plan diff
    claimlab validate [SPEC ...]                  check specs and their profiles
    claimlab schema [-o FILE]                     write the JSON Schema of specs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli import commands, coord_check, data, params, plan, report, schema, validate
from cli.problems import UserError
from cli.spec_options import add_resource_options, add_spec_options

DEFAULT_RESULTS = Path("results")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claimlab",
        description="Check claims about training dynamics: compile a YAML spec into runs, "
                    "train them, and report a verdict per claim.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("compile", help="validate a spec and write its plan, jobs and launch.sh",
                       description="Validate SPEC and write DIR/plan.json, DIR/jobs/<id>.json "
                                   "and DIR/launch.sh; with --target slurm, also "
                                   "DIR/<spec name>.sbatch, a Slurm job array of the runs "
                                   "(with stages, one array per level and DIR/submit.sh, "
                                   "which submits them in order).")
    p.add_argument("spec", type=Path, help="the spec file (YAML)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="where to write the plan (default: build/plans/<spec name>/)")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS, metavar="DIR",
                   help="results directory, to count runs already finished and for jobs to "
                        "write to (default: results/)")
    p.add_argument("--target", choices=("local", "slurm"), default="local",
                   help="local: launch.sh only; slurm: also Slurm job scripts (default: local)")
    add_spec_options(p)
    add_resource_options(p)
    p.set_defaults(handler=commands.compile_command)

    p = sub.add_parser("run", help="train every run of a plan that has not finished",
                       description="Train every run of SPEC's plan (compiling it first) or of "
                                   "a compiled plan directory that is not already finished, "
                                   "N at a time. Exit code 0 when every run has a result "
                                   "(completed or diverged), 1 when any failed.")
    p.add_argument("target", type=Path, metavar="SPEC_OR_PLAN_DIR",
                   help="a spec file, or a directory written by `claimlab compile`")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="runs trained at once (default: 1)")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS, metavar="DIR",
                   help="results directory (default: results/)")
    add_spec_options(p)
    p.set_defaults(handler=commands.run_command)

    report.add_parser(sub, DEFAULT_RESULTS)

    data.add_parser(sub)
    params.add_parser(sub)
    coord_check.add_parser(sub)
    plan.add_parser(sub, DEFAULT_RESULTS)
    validate.add_parser(sub)
    schema.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserError as err:
        print(str(err), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
