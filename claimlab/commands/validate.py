"""`claimlab validate [SPEC ...]`: check specs, each with and without each of its profiles,
writing nothing; for CI and pre-commit."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from claimlab.specs import spec_paths
from compiler import SpecError, compile_spec


def validate_command(args: argparse.Namespace) -> int:
    paths = spec_paths(args.specs)
    failed = 0
    for path in paths:
        if not path.is_file():
            failed += 1
            print(f"{path}: no such spec file", file=sys.stderr)
            continue
        try:
            summary = _validate(path)
        except SpecError as error:
            failed += 1
            print(error, file=sys.stderr)
            continue
        print(f"ok {path}: {summary}")
    if failed:
        print(f"{failed} of {len(paths)} spec(s) have problems", file=sys.stderr)
        return 2
    return 0


def _validate(path: Path) -> str:
    compiled = compile_spec(path)
    for warning in compiled.plan.warnings:
        print(warning, file=sys.stderr)
    counts = [f"{len(compiled.plan.runs)} runs"]
    problems = []
    for profile in compiled.profiles:
        try:
            counts.append(f"{len(compile_spec(path, profiles=[profile]).plan.runs)} "
                          f"with --profile {profile}")
        except SpecError as error:
            problems += error.problems
    if problems:
        raise SpecError(problems)
    return ", ".join(counts)


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "validate", help="check specs and each of their profiles, writing nothing",
        description="Check each SPEC as `compile` would, and again with each profile it "
                    "declares; print every problem. Exit code 2 when any spec has one.")
    p.add_argument("specs", type=Path, nargs="*", metavar="SPEC",
                   help="spec files (default: every *.yaml directly under specs/)")
    p.set_defaults(handler=validate_command)
    return p
