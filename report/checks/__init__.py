"""The claim checks, by kind: each is a named function with typed arguments.

A check is `(args, table, curves) -> CheckResult`: `args` is its model from
compiler/language/check_args.py, `table` is report.table.runs_table() of the claim's plan and
`curves` reads a run's metrics on demand. A final metric that no summary reports is each run's
last logged value (report.table.with_last_logged); a family reduced to one (`min(final.x/*)`)
is a column of the table and of each run's curve (report.table.with_family, Curves.derive).
Adding a kind means a model there and a module here, which CHECKS (next to the models)
names. A check's rule is written once, as its model's docstring; its result states it with
the claim's arguments (report.checks.rule).
"""

from __future__ import annotations

import pandas as pd

from compiler.language.check_args import CHECKS, CheckConfig
from compiler.language.check_values import metric_of
from compiler.language.claim_rules import named_metrics
from report.checks.rule import rule
from report.checks.verdict import CheckResult
from report.table import Curves, with_family, with_last_logged


def run_check(check: CheckConfig, table: pd.DataFrame, curves: Curves) -> CheckResult:
    evaluate = CHECKS[check.kind]
    for _, metric in named_metrics(check):
        curves.derive(metric)
        if metric_of(metric).startswith("final."):
            table = with_family(with_last_logged(table, curves, metric_of(metric)), metric)
    return evaluate(check, table, curves)


def cannot_evaluate(check: CheckConfig, reason: str) -> CheckResult:
    """The result of a claim whose check cannot run on these runs (its `where` matches none,
    its axis is a whole section): inconclusive, saying why."""
    return CheckResult(verdict="inconclusive", summary=f"This claim cannot be evaluated: {reason}",
                       rule=rule(check), numbers={})
