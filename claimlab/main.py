"""`claimlab`: the one command line, and the only package that touches every room.

    claimlab compile SPEC [--out DIR]             validate a spec, write its plan and jobs
    claimlab run SPEC_OR_PLAN_DIR [--jobs N]      train every run not yet finished
                 [--target slurm [--detach]]      ... or submit them to Slurm and follow them
    claimlab status SPEC_OR_PLAN_DIR              each run of a plan on Slurm: queued, running, ...
    claimlab cancel SPEC_OR_PLAN_DIR              stop a plan's jobs on Slurm
    claimlab report [SPEC ...] [--serve]          evaluate claims, build the site (and serve it)
    claimlab data SPEC [--run ID] [--json]        show what a run will train on
    claimlab params SPEC [--run ID] [--json]      show each parameter's init, lr, decay, multiplier
    claimlab coord-check SPEC [--run ID]          activation size against width, per role
    claimlab plan SPEC [--diff REV]               show runs, status and cost, or a plan diff
    claimlab validate [SPEC ...]                  check specs and their profiles
    claimlab verify [RESULTS] [--repair]          check a results folder, set aside what is broken
    claimlab schema [-o FILE]                     write the JSON Schema of specs
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from claimlab.commands import (
    cancel,
    coord_check,
    data,
    merge,
    pack,
    params,
    plan,
    report,
    run,
    schema,
    status,
    validate,
    verify,
)
from claimlab.commands import compile as compile_command
from claimlab.problems import UserError

DEFAULT_RESULTS = Path("results")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="claimlab",
        description="Check claims about training dynamics: compile a YAML spec into runs, "
                    "train them, and report a verdict per claim.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    compile_command.add_parser(sub, DEFAULT_RESULTS)
    run.add_parser(sub, DEFAULT_RESULTS)
    status.add_parser(sub, DEFAULT_RESULTS)
    cancel.add_parser(sub)
    report.add_parser(sub, DEFAULT_RESULTS)
    pack.add_parser(sub, DEFAULT_RESULTS)
    merge.add_parser(sub, DEFAULT_RESULTS)

    data.add_parser(sub)
    params.add_parser(sub)
    coord_check.add_parser(sub)
    plan.add_parser(sub, DEFAULT_RESULTS)
    validate.add_parser(sub)
    verify.add_parser(sub, DEFAULT_RESULTS)
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
    except BrokenPipeError:
        # The reader went away (`claimlab plan SPEC | head`): stop quietly, as cat and ls do.
        # Python would otherwise report the pipe again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command cut off by its reader


if __name__ == "__main__":
    sys.exit(main())
