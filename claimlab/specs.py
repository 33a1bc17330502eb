"""Finding and loading specs for the commands: the default list, compiling one, and where its
plan is written."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from claimlab.problems import UserError
from compiler import CompiledSpec, SpecError, compile_spec

SPECS_DIR = Path("specs")


def spec_paths(given: Sequence[Path]) -> list[Path]:
    """The spec files named; none named, every *.yaml directly under specs/."""
    paths = list(given) or sorted(SPECS_DIR.glob("*.yaml"))
    if not paths:
        raise UserError(f"no specs given and none found in {SPECS_DIR}/")
    return paths


def default_plan_dir(spec_name: str) -> Path:
    return Path("build") / "plans" / spec_name


def load_spec(path: Path, profiles: Sequence[str] = (), sets: Sequence[str] = ()) -> CompiledSpec:
    """The compiled spec, its warnings printed; a spec's problems are a UserError."""
    if not path.is_file():
        raise UserError(f"{path}: no such spec file")
    try:
        compiled = compile_spec(path, profiles=profiles, sets=sets)
    except SpecError as err:
        raise UserError(str(err)) from None
    for warning in compiled.plan.warnings:
        print(warning, file=sys.stderr)
    return compiled
