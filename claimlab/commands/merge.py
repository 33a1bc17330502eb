"""`claimlab merge ARCHIVE ... [--results DIR]`: the runs of results archives, added to a
results directory. A finished run already there is never overwritten."""

from __future__ import annotations

import argparse
from pathlib import Path

from claimlab.problems import UserError
from runtime.archive import ArchiveError, merge


def add_parser(sub: argparse._SubParsersAction, default_results: Path) -> None:
    p = sub.add_parser("merge", help="merge results archives into a results directory",
                       description="Add the runs of each ARCHIVE (written by `claimlab pack`) "
                                   "to the results directory. A finished run it already has is "
                                   "kept; one that differs from the archive's is a conflict "
                                   "(exit code 1) and is not overwritten. A run being trained "
                                   "here is left alone.")
    p.add_argument("archives", type=Path, nargs="+", metavar="ARCHIVE")
    p.add_argument("--results", type=Path, default=default_results, metavar="DIR",
                   help=f"results directory (default: {default_results}/)")
    p.set_defaults(handler=merge_command)


def merge_command(args: argparse.Namespace) -> int:
    conflicts = 0
    for archive in args.archives:
        try:
            merged = merge(archive, args.results)
        except ArchiveError as error:
            raise UserError(str(error)) from None
        print(f"{archive}: {len(merged.added)} runs added, {len(merged.unchanged)} already "
              f"here, {len(merged.conflicts)} conflicting, {len(merged.busy)} being trained "
              f"here -> {args.results}/runs/")
        for run_id in merged.conflicts:
            print(f"  conflict: {args.results}/runs/{run_id} differs from the archive's run; "
                  "kept the one here (remove it and merge again to take the archive's)")
        conflicts += len(merged.conflicts)
    return 1 if conflicts else 0
