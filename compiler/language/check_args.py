"""The typed arguments of each claim check.

The compiler owns the spec language, so it validates a check's arguments; the report owns
what a check means (report/checks/ implements each kind by the same name). Each model's
docstring is its rule, the only place it is written: the site's check reference shows it as
it is, and each claim's page with the claim's arguments filled in (report/checks/rule.py).
So write `name` for an argument, and [clause] around words that hold only when the first
argument they name is given (not none, false or empty). Each field's description is that
field's line in the reference: write them for the spec's author.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from compiler.language.check_values import (
    WHERE_DESCRIPTION,
    Arm,
    CurveMetric,
    FinalMetric,
    FinalMetricPattern,
    Interval,
    Sigmas,
    Where,
)
from compiler.language.run_quantities import Axis
from runtime.config.registry import Registry


class CheckArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A valid check of this kind, as a spec writes it: shown in the site's check reference.
    EXAMPLE: ClassVar[dict[str, Any]]


class _TwoArms(CheckArgs):
    """Checks that compare two arms (named by ARMS), which must be different sets of runs."""

    ARMS: ClassVar[tuple[str, str]]

    @model_validator(mode="after")
    def _arms_differ(self) -> _TwoArms:
        first, second = (getattr(self, name) for name in self.ARMS)
        if first == second:
            raise ValueError(f"{' and '.join(self.ARMS)} must select different runs, "
                             f"both are {first!r}")
        return self


TUNED_DESCRIPTION = (
    "axes each arm is tuned over: at each of its points, the setting with the lowest mean "
    "metric (a final metric; a curve's final value) stands for the arm, e.g. "
    "[optimizer.lr] for each optimizer at its own best learning rate")


PAIRED_DESCRIPTION = (
    "weigh each pair's gap against the spread of its per-seed differences rather than the "
    "seeds' spread around each side's mean: a seed's runs share their initialisation and data "
    "order (and a parent run, for branches of one), so what a seed does to both sides cancels; "
    "both sides need the same seeds")


class ArgminStable(CheckArgs):
    """For each value of `across`, the optimum of `over`: the value that minimises `metric`
    (mean over seeds), estimated between grid points as the vertex of a parabola in log10 of
    `over` through the best point and its two neighbours. Its uncertainty comes from
    bootstrapping the seeds (with two or more) and from how far a parabola through two
    neighbours on each side moves the vertex (without them, from the grid's spacing).
    Supported when the optima span at most `tolerance` in log10 of `over`[, and those of
    the runs with `versus` span more than `tolerance`[ and at least `factor` times as much]],
    each by more than `sigmas` times the uncertainty of the difference; not supported when
    any of these clearly fails. Inconclusive while runs are missing, unfinished or failed,
    when fewer than two values of `across` have two completed points, when an optimum is the
    lowest or highest value swept (it may lie outside the range), or when a difference is
    within its uncertainty; the summary then says how many seeds or how fine a grid would
    decide. A point where any seed diverged cannot be the optimum, but it still bounds the
    range."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "argmin_stable", "metric": "final.val_loss", "over": "optimizer.lr",
        "across": "model.width", "where": {"parametrization.kind": "mup"}, "tolerance": 0.5,
        "versus": {"parametrization.kind": "sp"}}
    kind: Literal["argmin_stable"] = Field(
        "argmin_stable", description="the best value of `over` stays put as `across` changes")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    over: Axis = Field(
        description="the axis minimised over, e.g. optimizer.lr")
    across: Axis = Field(
        description="the axis the optimum must not move with, e.g. model.width")
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    tolerance: Annotated[float, Field(gt=0)] = Field(
        0.5, description="allowed spread of the optimum, in log10 units of `over`"
    )
    versus: Where | None = Field(
        None, description="axis -> value: runs whose optimum must move (SP, when `where` is "
                          "muP): the claim's other half")
    factor: Annotated[float, Field(gt=0)] | None = Field(
        None, description="with `versus`: how many times as far as under `where` its optima "
                          "must spread, at least")
    sigmas: Sigmas = 2.0

    @model_validator(mode="after")
    def _two_axes(self) -> ArgminStable:
        if self.over == self.across:
            raise ValueError(
                f"over and across must be different axes, both are {self.over!r}")
        if self.versus is not None and self.versus == self.where:
            raise ValueError(f"where and versus must select different runs, both are "
                             f"{self.where!r}")
        if self.factor is not None and self.versus is None:
            raise ValueError("factor compares with the runs of `versus`; give versus too")
        return self


class Ordering(_TwoArms):
    """The runs of `lower` score below those of `higher` on `metric` by at least `margin`,
    at every point the two arms share. Runs pair up on the config values that vary within
    both arms (other than the seed), and each side of a pair is its mean over seeds. With
    two or more seeds, a pair decides only when its gap minus `margin` is more than `sigmas`
    standard errors of the seed-to-seed noise from zero. Supported when every pair is below
    by the margin; not supported when any pair clearly is not; inconclusive while runs are
    missing, unfinished, failed or diverged, when no pair has both sides, or when a gap is
    within the noise.[ With `paired`, a pair's noise is the spread of its per-seed
    differences, which needs the same seeds on both sides.][ Each arm is first tuned: at
    each of its points it stands for its setting of `tuned` with the lowest mean over seeds;
    a diverged setting is never the best, and a best at the lowest or highest value swept
    leaves the claim inconclusive.]"""

    ARMS = ("lower", "higher")
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "ordering", "metric": "final.val_loss", "lower": {"schedule.kind": "wsd"},
        "higher": {"schedule.kind": "cosine"}, "margin": 0.01}
    kind: Literal["ordering"] = Field("ordering", description="one arm scores below another")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    lower: Arm = Field(description="config path -> value: the runs that should score lower")
    higher: Arm = Field(description="config path -> value: the runs they are compared with")
    margin: Annotated[float, Field(ge=0)] = Field(
        0.0, description="how far below, in the metric's units")
    tuned: tuple[Axis, ...] = Field((), description=TUNED_DESCRIPTION)
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    paired: bool = Field(False, description=PAIRED_DESCRIPTION)
    sigmas: Sigmas = 2.0


class Matches(_TwoArms):
    """The runs of `a` score within `tolerance` of those of `b` on `metric`, at every point
    the two arms share (paired as in `ordering`, means over seeds)[, with `relative` as a
    fraction of the score of the runs of `b`]. With two or more seeds,
    a pair matches only when the gap plus `sigmas` standard errors of the seed-to-seed noise
    is within the tolerance, and clearly differs only when the gap minus them is beyond it.
    Supported when every pair matches; not supported when any pair clearly differs;
    inconclusive while runs are missing, unfinished, failed or diverged, when no pair has
    both sides, or when the noise leaves a pair undecided.[ With `paired`, a pair's noise is
    the spread of its per-seed differences, which needs the same seeds on both sides.][ Each
    arm is first tuned: at each of its points it stands for its setting of `tuned` with the
    lowest mean over seeds; a diverged setting is never the best, and a best at the lowest
    or highest value swept leaves the claim inconclusive.]"""

    ARMS = ("a", "b")
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "matches", "metric": "final.val_loss", "a": {"data.mix.old": 0.05},
        "b": {"data.mix.old": 0.0}, "tolerance": 0.01, "relative": True}
    kind: Literal["matches"] = Field(
        "matches", description="one arm scores within a tolerance of another")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    a: Arm = Field(description="config path -> value: one side")
    b: Arm = Field(description="config path -> value: the side it should match")
    tolerance: Annotated[float, Field(gt=0)] = Field(
        description="the largest gap that still matches, in the metric's units (or as a "
                    "fraction of `b` when `relative`)")
    relative: bool = Field(False, description="measure the tolerance as a fraction of `b`")
    tuned: tuple[Axis, ...] = Field((), description=TUNED_DESCRIPTION)
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    paired: bool = Field(False, description=PAIRED_DESCRIPTION)
    sigmas: Sigmas = 2.0


class NotWorse(_TwoArms):
    """Non-inferiority: the runs of `a` are not worse than those of `b` on `metric` by more
    than `margin`, at every point the two arms share (paired as in `ordering`, means over
    seeds). Worse is higher (a loss)[; with `higher_is_better`, lower][; with `relative`,
    the margin is a fraction of the score of the runs of `b`]. A pair holds when how much worse
    `a` is stays below the margin by more than `sigmas` standard errors of the seed-to-seed
    noise, and clearly fails when it is past the margin by more than them. Supported when
    every pair holds; not supported when any pair clearly fails; inconclusive while runs are
    missing, unfinished, failed or diverged, when no pair has both sides, or when the noise
    leaves a pair undecided.[ With `paired`, a pair's noise is the spread of its per-seed
    differences, which needs the same seeds on both sides.][ Each arm is first tuned: at each
    of its points it stands for its setting of `tuned` with the lowest mean over seeds; a
    diverged setting is never the best, and a best at the lowest or highest value swept
    leaves the claim inconclusive.]"""

    ARMS = ("a", "b")
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "not_worse", "metric": "final.val_loss", "a": {"optimizer.kind": "apollo"},
        "b": {"optimizer.kind": "adamw"}, "margin": 0.01, "relative": True,
        "tuned": ["optimizer.lr"]}
    kind: Literal["not_worse"] = Field(
        "not_worse", description="one arm is no worse than another by more than a margin")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    a: Arm = Field(description="axis -> value: the runs that must not be worse (the cheaper "
                               "method, say)")
    b: Arm = Field(description="axis -> value: the runs they are compared with")
    margin: Annotated[float, Field(ge=0)] = Field(
        description="how much worse `a` may be, in the metric's units (or as a fraction of "
                    "`b` when `relative`)")
    relative: bool = Field(False, description="measure the margin as a fraction of `b`")
    higher_is_better: bool = Field(
        False, description="the metric is better when higher (an accuracy), not lower (a loss)")
    tuned: tuple[Axis, ...] = Field((), description=TUNED_DESCRIPTION)
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    paired: bool = Field(False, description=PAIRED_DESCRIPTION)
    sigmas: Sigmas = 2.0


class GainRatio(CheckArgs):
    """The gain of `treated` over `base` on `metric` (base - treated, means over seeds: how
    much lower the treated runs score) among the runs of `under`, divided by the same gain
    among the runs of `reference`[ (measured there on `reference_metric`)], is[ no more
    than `at_most`][ no less than `at_least`]: "the curriculum's gain under cosine decay is
    at most half its gain at a constant learning rate". Each gain pairs runs as `ordering`
    does; gains pair up on the config values that vary within both. A bound is decided on
    the difference it implies (gain - bound * reference gain), against `sigmas` standard
    errors of it from the two gains' seed-to-seed noise (taken as independent). Supported
    when every pair of gains keeps every bound; not supported when one clearly breaks one;
    inconclusive while runs are missing, unfinished, failed or diverged, when a reference
    gain is not clearly above zero (there is nothing to take a multiple of), or when the
    noise leaves a pair undecided."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "gain_ratio", "metric": "final.val_loss",
        "base": {"data.sources.web.order": "shuffled"},
        "treated": {"data.sources.web.order": "ascending"},
        "under": {"schedule.kind": "cosine"}, "reference": {"schedule.kind": "constant"},
        "at_most": 0.5}
    kind: Literal["gain_ratio"] = Field(
        "gain_ratio", description="one gain is at most (or at least) a multiple of another")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    base: Arm = Field(description="axis -> value: the runs without the treatment")
    treated: Arm = Field(description="axis -> value: the runs with it")
    under: Arm = Field(description="axis -> value: the condition whose gain is bounded")
    reference: Arm = Field(description="axis -> value: the condition it is a multiple of")
    reference_metric: FinalMetric | None = Field(
        None, description="measure the reference gain on this final metric instead")
    at_most: float | None = Field(
        None, description="the largest ratio of the gain to the reference gain that holds")
    at_least: float | None = Field(
        None, description="the smallest ratio of the gain to the reference gain that holds")
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    sigmas: Sigmas = 2.0

    @model_validator(mode="after")
    def _bounded(self) -> GainRatio:
        if self.at_most is None and self.at_least is None:
            raise ValueError("give at_most, at_least or both: the ratios that support the "
                             "claim")
        if self.at_most is not None and self.at_least is not None \
                and self.at_least > self.at_most:
            raise ValueError(f"at_least ({self.at_least:g}) is above at_most "
                             f"({self.at_most:g})")
        if self.base == self.treated:
            raise ValueError(f"base and treated must select different runs, both are "
                             f"{self.base!r}")
        if self.under == self.reference and self.reference_metric in (None, self.metric):
            raise ValueError(f"under and reference must select different runs (or measure "
                             f"a different metric), both are {self.under!r}")
        return self


class Slope(CheckArgs):
    """The slope of log10 `metric` against log10 `against`, fitted by least squares to the
    means over seeds, lies within `within`. When `metric` ends in `*` every final metric
    with that prefix is fitted (a coord check: one slope per parameter role), and all must
    lie within.[ With `over`, the fitted value is instead the optimum of `over` at each value
    of `against` (the best learning rate against batch size, say), estimated between grid
    points with an uncertainty as in `argmin_stable`.] A slope decides only when it is more
    than `sigmas` standard errors from the interval's edges: errors from its seed-to-seed
    spread (none with one seed)[, or with `over` from the optima's uncertainties]; when
    that leaves it undecided, the summary says how many seeds or how fine a grid would
    decide. Inconclusive while runs are
    missing, unfinished, failed or diverged[ (a diverged run only bounds the best `over`)],
    with fewer than two values of `against`, or when the noise straddles an edge."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "slope", "metric": "final.act_rms/*", "against": "model.width",
        "within": [-0.1, 0.1], "where": {"parametrization.kind": "mup"}}
    kind: Literal["slope"] = Field(
        "slope", description="the log-log slope of a metric against an axis lies in a range")
    metric: FinalMetricPattern = Field(
        description="a final metric, or a prefix ending in '*' such as final.act_rms/*")
    against: Axis = Field(description="the x axis, e.g. model.width or N")
    within: Interval = Field(description="[low, high]: the slopes that support the claim")
    over: Axis | None = Field(
        None, description="fit the value of this axis that minimises `metric` instead")
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    sigmas: Sigmas = 2.0

    @model_validator(mode="after")
    def _distinct_axes(self) -> Slope:
        if self.over == self.against:
            raise ValueError(
                f"over and against must be different axes, both are {self.over!r}")
        if self.over is not None and self.metric.endswith("*"):
            raise ValueError("with `over`, metric must name one final metric, not a prefix")
        return self


class StabilityEdge(CheckArgs):
    """The edge of stability along `over`[, for each value of `across`]: the `side` value of
    `over` swept up to which no seed diverges, read from the stable end of the sweep to the
    first value where a seed diverged. The edge is the midpoint in log10 of that last stable
    value and the first diverged one, known to the gap between them (a standard uncertainty
    of gap / sqrt(12)).[ Supported when `slope` holds the slope of log10 edge against log10
    `across`, by more than `sigmas` standard errors propagated from the edges'
    uncertainties; not supported when the slope clearly lies outside it.][ Supported when
    `ratio` holds the edge divided by that of the runs with `versus`[ at every value of
    `across` both have], by more than `sigmas` standard uncertainties; not supported when
    one ratio clearly lies outside it.] Inconclusive while runs are missing, unfinished or
    failed before the edge, when no value swept diverged (the edge is beyond the sweep) or
    the first value swept did, or when a difference is within the uncertainty."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "stability_edge", "over": "optimizer.lr", "across": "model.width",
        "slope": [-0.1, 0.1], "where": {"parametrization.kind": "mup"}}
    kind: Literal["stability_edge"] = Field(
        "stability_edge", description="the largest (or smallest) stable value of an axis")
    over: Axis = Field(description="the axis whose stable range is measured, e.g. optimizer.lr")
    side: Literal["highest", "lowest"] = Field(
        "highest", description="which end of the stable range: highest or lowest")
    across: Axis | None = Field(
        None, description="an edge per value of this axis, e.g. model.width")
    slope: Interval | None = Field(
        None, description="[low, high]: the log-log slopes of the edge against `across` that "
                          "support the claim")
    versus: Where | None = Field(
        None, description="axis -> value: runs whose edges the checked ones are divided by")
    ratio: Interval | None = Field(
        None, description="[low, high]: with `versus`, the ratios of the edges that support "
                          "the claim, e.g. [2, 1000] for at least twice as far (bounds are "
                          "finite numbers)")
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    sigmas: Sigmas = 2.0

    @model_validator(mode="after")
    def _one_test(self) -> StabilityEdge:
        if (self.slope is None) == (self.ratio is None):
            raise ValueError("give either slope (with across) or ratio (with versus)")
        if self.slope is not None and self.across is None:
            raise ValueError("slope fits the edge against `across`; give across too")
        if self.ratio is not None and self.versus is None:
            raise ValueError("ratio divides by the edges of `versus`; give versus too")
        if self.ratio is not None and self.ratio[0] <= 0:
            raise ValueError(f"ratio bounds must be positive, found {list(self.ratio)}")
        if self.across is not None and self.across == self.over:
            raise ValueError(f"over and across must be different axes, both are {self.over!r}")
        return self


class PowerLawFit(CheckArgs):
    """Fits `metric` as a power of `against` by least squares, A * `against`^k[ + E (with
    `offset`)], to the completed runs, and reports k with a bootstrap confidence interval
    (runs resampled with a fixed seed, so the interval is the same on every build).
    Supported when the interval lies inside `exponent`; not supported when it lies wholly
    outside; inconclusive when it straddles an edge, while runs are missing, unfinished,
    failed or diverged, or with too few values of `against` to fit (three[, four with
    `offset`])."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "power_law_fit", "metric": "final.val_loss", "against": "budget.steps",
        "exponent": [-0.5, -0.2], "offset": True}
    kind: Literal["power_law_fit"] = Field(
        "power_law_fit", description="a metric is a power law of an axis, its exponent in a range")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    against: Axis = Field(description="the axis x, e.g. budget.steps or D")
    exponent: Interval = Field(description="[low, high]: the exponents k that support the claim")
    offset: bool = Field(False, description="fit an irreducible term E as well")
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = Field(
        0.95, description="coverage of the exponent's confidence interval")
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)


class JointPowerLaw(CheckArgs):
    """Fits `metric`[ (with `over`: the optimum of `over` at each pair of values of
    `against`, as in `argmin_stable`)] as a law in the two axes of `against`, x1 and x2.
    The law, `law`, is either product, y = c * x1^a * x2^b, fitted by least squares in log
    space, or chinchilla, y = E + A * x1^-a + B * x2^-b (Hoffmann et al. 2022), fitted by
    least squares on y with the exponents searched on a grid refined around the best. Each
    exponent gets a `confidence` interval by bootstrap (the fitted points resampled with a
    fixed seed[, each optimum redrawn within its uncertainty with `over`]). Supported when
    each exponent's interval lies within its range in `exponents`; not supported when one
    lies wholly outside; inconclusive when one straddles an edge, while runs are missing,
    unfinished, failed or diverged[ (with `over`, a diverged run only bounds an optimum)],
    or with too few points to fit (two values of each axis and four points for `product`,
    three and six for `chinchilla`).[ The runs with `held_out` are left out of the fit and
    predicted by it, and the mean relative error of the prediction is reported[; it must
    be at most `tolerance` as well].]"""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "joint_power_law", "metric": "final.val_loss", "against": ["N", "D"],
        "law": "chinchilla", "exponents": [[0.2, 0.5], [0.2, 0.5]],
        "held_out": {"model.width": 512}, "tolerance": 0.02}
    kind: Literal["joint_power_law"] = Field(
        "joint_power_law", description="a metric or an optimum as a law in two axes")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    against: tuple[Axis, Axis] = Field(description="[x1, x2]: the two axes, e.g. [N, D]")
    law: Literal["product", "chinchilla"] = Field(
        "product", description="product: c * x1^a * x2^b; chinchilla: E + A * x1^-a + "
                               "B * x2^-b")
    exponents: tuple[Interval, Interval] = Field(
        description="[[low, high], [low, high]]: the exponents a and b that support the claim")
    over: Axis | None = Field(
        None, description="fit the optimum of this axis (e.g. optimizer.lr) instead of the "
                          "metric")
    held_out: Where | None = Field(
        None, description="axis -> value: runs left out of the fit, whose prediction error "
                          "is reported")
    tolerance: Annotated[float, Field(gt=0)] | None = Field(
        None, description="with `held_out`: the largest mean relative error of the "
                          "prediction that supports the claim")
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = Field(
        0.95, description="coverage of each exponent's confidence interval")
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)

    @model_validator(mode="after")
    def _consistent(self) -> JointPowerLaw:
        if self.against[0] == self.against[1]:
            raise ValueError(f"against needs two different axes, both are {self.against[0]!r}")
        if self.over is not None and self.over in self.against:
            raise ValueError(f"over must differ from the axes of against, found {self.over!r}")
        if self.over is not None and self.law == "chinchilla":
            raise ValueError("fit optima with the product law: chinchilla's irreducible term "
                             "is a loss's")
        if self.tolerance is not None and self.held_out is None:
            raise ValueError("tolerance judges the prediction of the held-out runs; give "
                             "held_out too")
        return self


class CurveFitPredict(_TwoArms):
    """Fits a loss-curve law (`law`) to the `metric` curves of the `fit` runs, predicts the
    curves of the held-out `predict` runs from their learning-rate schedules, and reports the
    mean relative error of the prediction over the held-out points from `from_step` on. A law is
    fitted for each value of the config values both arms vary (a width, say), and predicts
    the held-out runs with those values.
    Laws (S1: the sum of learning rates up to step s; S2: the sum of m_i, where
    m_i = `decay_factor` * m_(i-1) + lr_(i-1) - lr_i): `annealing` is
    L(s) = L0 + A * S1^-alpha - C * S2; `power` is L(s) = L0 + A * s^-alpha. Supported when
    the error is at most `tolerance`, not supported when it is larger. Inconclusive while
    runs are missing, unfinished, failed or diverged, with fewer points than parameters to
    fit, or when the seed-to-seed spread of the held-out curves is larger than `tolerance`
    (no prediction could be judged that finely)."""

    ARMS = ("fit", "predict")
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "curve_fit_predict", "law": "annealing", "fit": {"schedule.kind": "cosine"},
        "predict": {"schedule.kind": "wsd"}, "tolerance": 0.02}
    kind: Literal["curve_fit_predict"] = Field(
        "curve_fit_predict", description="a loss-curve law fitted on some runs predicts the others")
    metric: CurveMetric = Field("val_loss", description="a logged curve, e.g. val_loss")
    law: Literal["annealing", "power"] = Field(description="the law fitted: annealing or power")
    fit: Arm = Field(description="config path -> value: the runs the law is fitted to")
    predict: Arm = Field(description="config path -> value: the held-out runs it predicts")
    tolerance: Annotated[float, Field(gt=0)] = Field(
        description="the largest mean relative error that supports the claim, e.g. 0.02")
    from_step: Annotated[int, Field(ge=0)] = Field(
        0, description="fit and score only points at or after this step")
    decay_factor: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.999, description="the momentum of the annealing term S2")
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)


class Crossing(_TwoArms):
    """The `metric` curves of `a` and `b` cross: at some step one is clearly below the other
    and at a later one clearly above, before the last step both logged[ and by step
    `before`]. Runs pair up as in `ordering`, and each curve is the mean over
    seeds; with two or more seeds, a gap counts only when it is more than `sigmas` standard
    errors of the seed-to-seed noise at that step. Supported when every pair crosses;
    not supported when any pair's curves stay clearly on one side; inconclusive while runs
    are missing, unfinished, failed or diverged, or when the curves never clearly part.[
    Each arm is first tuned: at each of its points it stands for its setting of `tuned` with
    the lowest final value of `metric` (mean over seeds); a diverged setting is never the
    best, and a best at the lowest or highest value swept leaves the claim inconclusive.]"""

    ARMS = ("a", "b")
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "crossing", "metric": "val_loss", "a": {"schedule.kind": "wsd"},
        "b": {"schedule.kind": "cosine"}}
    kind: Literal["crossing"] = Field("crossing", description="two arms' curves cross")
    metric: CurveMetric = Field("val_loss", description="a logged curve, e.g. val_loss")
    a: Arm = Field(description="config path -> value: one side")
    b: Arm = Field(description="config path -> value: the other side")
    before: Annotated[int, Field(gt=0)] | None = Field(
        None, description="the step the curves must have crossed by")
    tuned: tuple[Axis, ...] = Field((), description=TUNED_DESCRIPTION)
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    sigmas: Sigmas = 2.0


class Event(BaseModel):
    """The first time a logged curve crosses a threshold: `metric` at or above `above`, or
    at or below `below` (reaching a target loss)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: CurveMetric = Field(description="a logged curve, e.g. val_loss or grad_norm")
    above: float | None = Field(None, description="the event is the curve reaching this or more")
    below: float | None = Field(None, description="the event is the curve reaching this or less")

    @model_validator(mode="after")
    def _one_threshold(self) -> Event:
        if (self.above is None) == (self.below is None):
            raise ValueError("give one threshold: above or below")
        return self

    def __str__(self) -> str:
        """As a rule or summary says it: `val_loss <= 3.5`."""
        if self.above is not None:
            return f"{self.metric} >= {self.above:g}"
        return f"{self.metric} <= {self.below:g}"


EVENT_DESCRIPTION = ("{metric: <curve>, above: <value>} or {metric: <curve>, below: <value>}: "
                     "the first time the curve reaches the value")
UNIT_DESCRIPTION = "time counted in optimizer steps (step) or training tokens (tokens)"


class TimeTo(_TwoArms):
    """The runs of `faster` reach `event` sooner than those of `slower`[, `factor` times
    sooner or more], at every point the two arms share (paired as in `ordering`). A run's
    time is the first `unit` at which its curve crosses the threshold, interpolated between
    the two logged points around it, which bound its resolution (a standard uncertainty of
    their gap / sqrt(12)); each side of a pair is its mean over seeds, its uncertainty with
    the seed-to-seed spread. Diverged runs count with the curve they logged before they
    diverged. A pair holds when the ratio of the times clears the claim by more than `sigmas`
    standard errors, or when `faster` reaches the event well before `slower`'s curves end
    without it; it fails when `slower` is clearly sooner, or reaches the event while
    `faster`'s runs end (or diverge) without it. Supported when every pair holds; not
    supported when any pair clearly fails; inconclusive while runs are missing, unfinished
    or failed, when neither side of a pair reaches the event, when seeds disagree on
    whether it is reached, or when the times are within their uncertainty."""

    ARMS = ("faster", "slower")
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "time_to", "event": {"metric": "val_loss", "below": 3.5},
        "faster": {"optimizer.kind": "muon"}, "slower": {"optimizer.kind": "adamw"},
        "factor": 1.2, "unit": "tokens"}
    kind: Literal["time_to"] = Field(
        "time_to", description="one arm reaches a threshold sooner than another")
    event: Event = Field(description=EVENT_DESCRIPTION)
    faster: Arm = Field(description="axis -> value: the runs that should reach it sooner")
    slower: Arm = Field(description="axis -> value: the runs they are compared with")
    factor: Annotated[float, Field(ge=1)] = Field(
        1.0, description="how many times sooner, at least (1: sooner at all)")
    unit: Literal["step", "tokens"] = Field("step", description=UNIT_DESCRIPTION)
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    sigmas: Sigmas = 2.0


class EventOrder(CheckArgs):
    """In each run, `first` happens before `then` ("the gradient norm spikes before the loss
    does"). Each event's time is the first `unit` at which its curve crosses its threshold,
    interpolated between the two logged points around it, which bound its resolution (a
    standard uncertainty of their gap / sqrt(12)). Only runs in which `then` happens are
    judged, diverged runs with the curves they logged before they diverged. A run holds
    when `first` comes before `then` by more than `sigmas` standard uncertainties of the
    difference, and fails when it clearly comes after, or not at all. Supported when every
    judged run holds; not supported when any fails; inconclusive while runs are missing,
    unfinished or failed, when no run shows `then`, or when the two times are within their
    resolution of each other."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "event_order", "first": {"metric": "grad_norm", "above": 10.0},
        "then": {"metric": "train_loss", "above": 6.0},
        "where": {"parametrization.kind": "sp"}}
    kind: Literal["event_order"] = Field(
        "event_order", description="one event comes before another in each run")
    first: Event = Field(description=EVENT_DESCRIPTION + ", which should come first")
    then: Event = Field(description=EVENT_DESCRIPTION + ", which should come after it")
    unit: Literal["step", "tokens"] = Field("step", description=UNIT_DESCRIPTION)
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    sigmas: Sigmas = 2.0


class Monotone(CheckArgs):
    """`metric` (mean over seeds) is `direction` at every step along `along`, on each line
    of runs that differ only in `along` (and seed).[ Each point is first tuned: it stands
    for its setting of `tuned` with the lowest mean over seeds; a diverged setting is never
    the best, and a best at the lowest or highest value swept leaves the point undecided.]
    With two or more seeds, a step counts only when it is more than `sigmas` standard errors
    of the seed-to-seed noise. Supported when every step is `direction`; not supported when
    any step clearly goes the other way; inconclusive while runs are missing, unfinished,
    failed or diverged, when no line has two points, or when a step is within the noise."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "monotone", "metric": "final.val_loss", "along": "model.width",
        "direction": "decreasing"}
    kind: Literal["monotone"] = Field(
        "monotone", description="a metric only goes one way along an axis")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    along: Axis = Field(description="the axis, e.g. model.width")
    direction: Literal["increasing", "decreasing"] = Field(
        description="increasing or decreasing")
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    tuned: tuple[Axis, ...] = Field(
        (), description="axes each point is tuned over: the setting with the lowest mean "
                        "metric stands for the point, e.g. [optimizer.weight_decay] for each "
                        "width at its own best weight decay")
    sigmas: Sigmas = 2.0

    @model_validator(mode="after")
    def _along_is_not_tuned(self) -> Monotone:
        if self.along in self.tuned:
            raise ValueError(f"along ({self.along!r}) cannot also be tuned over")
        return self


class Optimum(CheckArgs):
    """For each line of runs that differ only in `over` (and seed), the optimum of `over`:
    the value that minimises `metric` (mean over seeds), estimated between grid points with
    its uncertainty as in `argmin_stable`. A line holds when its optimum lies inside
    `within` by more than `sigmas` uncertainties, and fails when it lies outside by as much.
    A best at the lowest or highest value swept bounds the optimum by the value swept next to
    it: the line holds when all the values beyond that one are inside `within`, fails when
    none are, and is undecided otherwise. Supported when every line holds; not supported
    when any line fails; inconclusive while runs are missing, unfinished or failed, when a
    line has fewer than two completed points, or when an optimum is within its uncertainty
    of a bound; the summary then says how many seeds or how fine a grid would decide."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "optimum", "metric": "final.val_loss", "over": "optimizer.weight_decay",
        "within": [1.0, None], "where": {"budget.steps": 4000}}
    kind: Literal["optimum"] = Field(
        "optimum", description="the best value of an axis lies in a range")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    over: Axis = Field(description="the axis minimised over, e.g. optimizer.weight_decay")
    within: tuple[float | None, float | None] = Field(
        description="[low, high]: the optima that support the claim, in the units of `over`; "
                    "null for no bound, e.g. [1.0, null] for at least 1")
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    sigmas: Sigmas = 2.0

    @model_validator(mode="after")
    def _a_range(self) -> Optimum:
        low, high = self.within
        if low is None and high is None:
            raise ValueError("within needs at least one bound")
        if low is not None and high is not None and low > high:
            raise ValueError(f"expected within: [low, high] with low <= high, found "
                             f"{list(self.within)}")
        return self


class Asymptote(_TwoArms):
    """Fits `metric` = E + A * `against`^k (k < 0) by least squares to the points of `lower`
    and, separately, of `higher` (each point the mean over seeds of the runs that differ
    only in `against`[; each first tuned: it stands for its setting of `tuned` with the
    lowest mean over seeds]), and compares the asymptotes E, where each arm levels off as
    `against` grows. Each E's uncertainty is the jackknife over the values of `against`: how
    far E moves when the fit leaves any one of them out. Supported when E of `higher` minus
    E of `lower` exceeds `margin` by more than `sigmas` uncertainties of the difference;
    not supported when it falls short of it by as much; inconclusive while runs are missing,
    unfinished, failed or diverged, when an arm has fewer than four completed values of
    `against`, when a fit does not level off, when a best setting of `tuned` is at the edge
    of its sweep, or when the difference is within its uncertainty."""

    ARMS = ("lower", "higher")
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "kind": "asymptote", "metric": "final.val_loss/ensemble", "against": "N",
        "lower": {"D": 4000000}, "higher": {"D": 1000000},
        "where": {"ensemble.step": 1000}, "tuned": ["optimizer.weight_decay"]}
    kind: Literal["asymptote"] = Field(
        "asymptote", description="one arm levels off below another as an axis grows")
    metric: FinalMetric = Field(description="a final metric, e.g. final.val_loss")
    against: Axis = Field(description="the axis the law is fitted against, e.g. N")
    lower: Arm = Field(description="axis -> value: the runs that should level off lower")
    higher: Arm = Field(description="axis -> value: the runs they are compared with")
    margin: Annotated[float, Field(ge=0)] = Field(
        0.0, description="how far below, in the metric's units")
    tuned: tuple[Axis, ...] = Field((), description=TUNED_DESCRIPTION)
    where: Where = Field(default_factory=dict, description=WHERE_DESCRIPTION)
    sigmas: Sigmas = 2.0


CheckConfig = Annotated[
    ArgminStable | Ordering | Matches | NotWorse | Slope | StabilityEdge | PowerLawFit
    | JointPowerLaw | CurveFitPredict | Crossing | TimeTo | EventOrder | Monotone | GainRatio
    | Optimum | Asymptote,
    Field(discriminator="kind"),
]

# Each kind's check in the report, by name (the compiler does not import the report):
# (args, runs table, curves) -> CheckResult.
CHECKS = Registry("check", {
    "argmin_stable": "report.checks.argmin_stable:argmin_stable",
    "ordering": "report.checks.ordering:ordering",
    "matches": "report.checks.matches:matches",
    "not_worse": "report.checks.not_worse:not_worse",
    "gain_ratio": "report.checks.gain_ratio:gain_ratio",
    "slope": "report.checks.slope:slope",
    "stability_edge": "report.checks.stability_edge:stability_edge",
    "power_law_fit": "report.checks.power_law_fit:power_law_fit",
    "joint_power_law": "report.checks.joint_power_law:joint_power_law",
    "curve_fit_predict": "report.checks.curve_fit_predict:curve_fit_predict",
    "crossing": "report.checks.crossing:crossing",
    "time_to": "report.checks.time_to:time_to",
    "event_order": "report.checks.event_order:event_order",
    "monotone": "report.checks.monotone:monotone",
    "optimum": "report.checks.optimum:optimum",
    "asymptote": "report.checks.asymptote:asymptote",
})
