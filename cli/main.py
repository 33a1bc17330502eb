"""`claimlab`: the one command line, and the only module that touches compiler, runtime and report.

    claimlab compile SPEC [--out DIR]             validate a spec, write its plan and jobs
    claimlab run SPEC_OR_PLAN_DIR [--jobs N]      train every run not yet finished
    claimlab report [SPEC ...] [--out DIR]        evaluate claims, build the site
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli import commands
from cli.problems import UserError

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
                                   "and DIR/launch.sh.")
    p.add_argument("spec", type=Path, help="the spec file (YAML)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="where to write the plan (default: build/plans/<spec name>/)")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS, metavar="DIR",
                   help="results directory, to count runs already finished (default: results/)")
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
    p.set_defaults(handler=commands.run_command)

    p = sub.add_parser("report", help="evaluate claims and build the report site",
                       description="Evaluate each claim of the given specs over the finished "
                                   "runs and build the mkdocs-material site.")
    p.add_argument("specs", type=Path, nargs="*", metavar="SPEC",
                   help="spec files (default: every *.yaml directly under specs/)")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS, metavar="DIR",
                   help="results directory (default: results/)")
    p.add_argument("--out", type=Path, default=Path("build/site"), metavar="DIR",
                   help="where to write the site (default: build/site/)")
    p.set_defaults(handler=commands.report_command)
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
