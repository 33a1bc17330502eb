"""The claim checks, by kind: each is a named function with typed arguments.

A check is `(args, table, curves) -> CheckResult`: `args` is its model from
compiler/checks.py, `table` is report.table.runs_table() of the claim's plan and `curves`
reads a run's metrics on demand. Adding a kind means a model there and a function here.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from compiler.checks import CheckConfig
from report.argmin_stable import argmin_stable
from report.table import Curves
from report.verdict import CheckResult

CHECKS: dict[str, Callable[..., CheckResult]] = {
    "argmin_stable": argmin_stable,
}


def run_check(check: CheckConfig, table: pd.DataFrame, curves: Curves) -> CheckResult:
    return CHECKS[check.kind](check, table, curves)
