"""The claim checks, by kind: each is a named function with typed arguments.

A check is `(args, table, curves) -> CheckResult`: `args` is its model from
compiler/language/check_args.py, `table` is report.table.runs_table() of the claim's plan and
`curves` reads a run's metrics on demand. A final metric that no summary reports is each run's last
logged value (report.table.with_last_logged). Adding a kind means a model there and a module
here, which CHECKS (next to the models) names. A check's rule is written once, as its model's
docstring; its result states it with the claim's arguments (report.checks.rule).
"""

from __future__ import annotations

import pandas as pd

from compiler.language.check_args import CHECKS, CheckConfig
from report.checks.verdict import CheckResult
from report.table import Curves, with_last_logged


def run_check(check: CheckConfig, table: pd.DataFrame, curves: Curves) -> CheckResult:
    evaluate = CHECKS[check.kind]
    metric = check.metric
    if metric.startswith("final."):
        table = with_last_logged(table, curves, metric)
    return evaluate(check, table, curves)
