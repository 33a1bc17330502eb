"""`claimlab verify [RESULTS] [--repair]`: check a results folder, and set aside what is broken
(runtime/results_check.py says what is checked and where it goes)."""

from __future__ import annotations

import argparse
from pathlib import Path

from claimlab.problems import UserError
from runtime.results_check import RunCheck, check_results, repair


def verify_command(args: argparse.Namespace) -> int:
    results: Path = args.results
    if not results.is_dir():
        raise UserError(f"{results}: no such results folder")
    checks = check_results(results)
    for check in checks:
        for line in _lines(check):
            print(line)
    broken = [check for check in checks if check.findings]
    print(f"{results}: {_counts(checks)}")
    if not broken:
        return 0
    if not args.repair:
        print(f"`claimlab verify {results} --repair` sets them aside; `claimlab run` then "
              "trains again what they held")
        return 1
    done = repair(results, broken)
    for source, target in done.moved:
        print(f"set aside {source} -> {target}")
    for run in done.left:
        print(f"left {run}: another process started training it")
    print("`claimlab run` trains again what was set aside")
    return 1


def _lines(check: RunCheck) -> list[str]:
    lines = [f"{finding.path}: {finding.problem}" for finding in check.findings]
    if check.held_by:
        holder = check.held_by if check.held_by is not True else "another process"
        lines.append(f"{check.run}: being trained by {holder}; not checked")
    return lines


def _counts(checks: list[RunCheck]) -> str:
    broken = sum(1 for check in checks if check.findings)
    busy = sum(1 for check in checks if check.held_by)
    text = f"{len(checks)} runs, {len(checks) - broken - busy} sound, {broken} with problems"
    return text + (f", {busy} being trained (not checked)" if busy else "")


def add_parser(sub: argparse._SubParsersAction, default_results: Path) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "verify", help="check a results folder; --repair sets aside what is broken",
        description="Check every run in RESULTS: its config, summary and metrics log parse "
                    "and agree (the run id, the steps, the final metrics), its checkpoints "
                    "load, nothing is half-written. Runs being trained are left alone. With "
                    "--repair, move what is broken to RESULTS/quarantine/ (a run whose result "
                    "cannot be trusted as a whole, else just the file), so that `claimlab "
                    "run` trains it again. Exit code 0 when everything is sound, 1 when "
                    "anything was not.")
    p.add_argument("results", type=Path, nargs="?", default=default_results, metavar="RESULTS",
                   help="results folder (default: results/)")
    p.add_argument("--repair", action="store_true",
                   help="move what is broken to RESULTS/quarantine/<time>/")
    p.set_defaults(handler=verify_command)
    return p
