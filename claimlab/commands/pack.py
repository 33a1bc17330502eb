"""`claimlab pack [SPEC ...] [--out FILE]`: finished runs into a compressed archive, to commit
beside a spec or to carry to another machine (runtime/archive.py says what it holds)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from claimlab.archives import spec_archive
from claimlab.options import add_spec_options
from claimlab.problems import UserError
from claimlab.specs import load_spec
from runtime.archive import pack


def add_parser(sub: argparse._SubParsersAction, default_results: Path) -> None:
    p = sub.add_parser("pack", help="pack finished runs into a results archive",
                       description="Pack the finished runs (completed or diverged) of each "
                                   "SPEC's plan into <spec folder>/results/<spec name>.tar.xz, "
                                   "the archive `claimlab report` reads in a clean clone; with "
                                   "--out, all of them into FILE; with no SPEC, every finished "
                                   "run of the results directory into FILE. Checkpoints and "
                                   "failed runs are left out.")
    p.add_argument("specs", type=Path, nargs="*", metavar="SPEC", help="spec files")
    p.add_argument("--results", type=Path, default=default_results, metavar="DIR",
                   help=f"results directory (default: {default_results}/)")
    p.add_argument("--out", "-o", type=Path, metavar="FILE",
                   help="one archive for everything packed (e.g. results.tar.xz)")
    add_spec_options(p)
    p.set_defaults(handler=pack_command)


def pack_command(args: argparse.Namespace) -> int:
    if not args.specs and args.out is None:
        raise UserError("claimlab pack: name SPEC files, or give --out FILE to pack every "
                        "finished run of the results directory")
    if not args.specs:
        return _report(pack(args.results, args.out), args.out, planned=None)
    plans = [(path, load_spec(path, args.profiles, args.sets)) for path in args.specs]
    if args.out is not None:
        ids = {run.id for _, compiled in plans for run in compiled.plan.runs}
        return _report(pack(args.results, args.out, ids), args.out, planned=len(ids))
    for path, compiled in plans:
        archive = spec_archive(path, compiled.spec.name, args.profiles)
        ids = [run.id for run in compiled.plan.runs]
        _report(pack(args.results, archive, ids), archive, planned=len(ids))
    return 0


def _report(packed, archive: Path, planned: int | None) -> int:
    of = f" of {planned} planned" if planned is not None else ""
    size = archive.stat().st_size
    print(f"packed {len(packed.runs)} runs{of} into {archive} ({size / 1e6:.2f} MB)")
    unfinished = sum(line.endswith(": not finished") for line in packed.skipped)
    for line in packed.skipped:
        if not line.endswith(": not finished"):
            print(f"  left out {line}", file=sys.stderr)
    if unfinished:
        print(f"  left out {unfinished} runs not finished in {archive.parent}", file=sys.stderr)
    return 0
