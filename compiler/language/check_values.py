"""The value types that claim checks' arguments are made of: metric names, run filters,
intervals. compiler/language/check_args.py builds each check's arguments from them."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from compiler.language.run_quantities import Axis

_METRIC_NAME = r"[A-Za-z_][A-Za-z0-9_./-]*"
_FINAL_METRIC = re.compile(rf"final\.{_METRIC_NAME}")
_FINAL_METRIC_PATTERN = re.compile(rf"final\.{_METRIC_NAME}\*?")
_CURVE_METRIC = re.compile(_METRIC_NAME)
# A family of metrics reduced to one: `min(final.attn_entropy_min/*)`, `mean(val_loss/*)`.
REDUCERS = ("min", "max", "mean")
_FAMILY = re.compile(rf"({'|'.join(REDUCERS)})\(({_METRIC_NAME}\*)\)")
_FAMILY_HINT = ", or a family reduced to one like 'min({}attn_entropy_min/*)'"


def family(name: str) -> tuple[str, str] | None:
    """(reducer, prefix pattern) of a family reduced to one metric, e.g. ('min',
    'final.attn_entropy_min/*'); None for a single metric."""
    match = _FAMILY.fullmatch(name)
    return (match[1], match[2]) if match else None


def metric_of(name: str) -> str:
    """The logged metric (or prefix pattern) that a check's metric reads."""
    reduced = family(name)
    return reduced[1] if reduced else name


def _final_metric(name: str) -> str:
    reduced = family(name)
    if reduced and _FINAL_METRIC_PATTERN.fullmatch(reduced[1]):
        return name
    if not _FINAL_METRIC.fullmatch(name):
        raise ValueError("expected a final metric like 'final.val_loss'"
                         f"{_FAMILY_HINT.format('final.')}, found {name!r}")
    return name


def _final_metric_pattern(name: str) -> str:
    reduced = family(name)
    if reduced and _FINAL_METRIC_PATTERN.fullmatch(reduced[1]):
        return name
    if not _FINAL_METRIC_PATTERN.fullmatch(name):
        raise ValueError("expected a final metric like 'final.val_loss', a prefix ending in "
                         f"'*' like 'final.act_rms/*'{_FAMILY_HINT.format('final.')}, "
                         f"found {name!r}")
    return name


def _curve_metric(name: str) -> str:
    reduced = family(name)
    inner = reduced[1].removesuffix("*") if reduced else name
    if inner.startswith("final.") or not _CURVE_METRIC.fullmatch(inner):
        raise ValueError("expected a metric logged at each step like 'val_loss' (a curve, "
                         f"without 'final.'){_FAMILY_HINT.format('')}, found {name!r}")
    return name


def _low_to_high(bounds: tuple[float, float]) -> tuple[float, float]:
    if bounds[0] > bounds[1]:
        raise ValueError(f"expected [low, high] with low <= high, found {list(bounds)}")
    return bounds


class LoggedMetric:
    """Marks a field that names a logged metric: the compiler checks the name against what
    the planned runs will log (compiler/language/metric_names.py)."""


LOGGED = LoggedMetric()

# A metric from a run's summary: `final.<name>`, e.g. final.val_loss, or the min, max or
# mean of a family of them: `min(final.attn_entropy_min/*)`.
FinalMetric = Annotated[str, AfterValidator(_final_metric), LOGGED]
# One final metric, or every final metric that starts with a prefix: `final.act_rms/*`.
FinalMetricPattern = Annotated[str, AfterValidator(_final_metric_pattern), LOGGED]
# A metric the runtime logs per step (metrics.jsonl), e.g. val_loss or val_loss/code, or a
# family of them reduced at each step: `mean(val_loss/*)`.
CurveMetric = Annotated[str, AfterValidator(_curve_metric), LOGGED]
# Axis -> value: the runs that have every one of these values (an axis is a config path, a
# summary field or a derived quantity: compiler/language/run_quantities.py); a value written
# {one_of: [a, b]} takes runs with either.
Where = dict[Axis, Any]
# The runs of one side of a comparison, by the config values that set it apart.
Arm = Annotated[Where, Field(min_length=1)]
Interval = Annotated[tuple[float, float], AfterValidator(_low_to_high)]

Sigmas = Annotated[float, Field(gt=0, description="how many standard errors of the "
                                "seed-to-seed noise a difference must clear to count")]
WHERE_DESCRIPTION = ("config path -> value (or {one_of: [value, ...]}): only runs with these "
                     "values are checked")
