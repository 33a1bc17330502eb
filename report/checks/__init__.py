"""The claim checks, by kind: each is a named function with typed arguments.

A check is `(args, table, curves) -> CheckResult`: `args` is its model from
compiler/language/check_args.py, `table` is report.table.runs_table() of the claim's plan and
`curves` reads a run's metrics on demand. A final metric that no summary reports is each run's last
logged value (report.table.with_last_logged). Adding a kind means a model there and a module
here.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from compiler.language.check_args import CheckConfig
from report.checks.argmin_stable import argmin_stable
from report.checks.crossing import crossing
from report.checks.curve_fit_predict import curve_fit_predict
from report.checks.matches import matches
from report.checks.monotone import monotone
from report.checks.ordering import ordering
from report.checks.power_law_fit import power_law_fit
from report.checks.slope import slope
from report.checks.verdict import CheckResult
from report.table import Curves, with_last_logged

CHECKS: dict[str, Callable[..., CheckResult]] = {
    check.__name__: check
    for check in (argmin_stable, ordering, matches, slope, power_law_fit, curve_fit_predict,
                  crossing, monotone)
}


def run_check(check: CheckConfig, table: pd.DataFrame, curves: Curves) -> CheckResult:
    metric = check.metric
    if metric.startswith("final."):
        table = with_last_logged(table, curves, metric)
    return CHECKS[check.kind](check, table, curves)
