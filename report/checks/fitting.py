"""Least-squares fits the checks share: straight lines in log-log, and laws that are linear in
all their coefficients but one exponent.

A law like L = E + A * x^k is linear in E and A once k is fixed, so the best k is found by
a one-dimensional search over k (a grid, then finer grids around the best), each candidate
solved exactly by linear least squares. This needs no starting guess and finds the same
answer on every run, where a general nonlinear optimiser can stop in a local minimum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

# Features of x for a given exponent: the columns of the linear least-squares problem.
Design = Callable[[float], np.ndarray]

T = TypeVar("T")


def loglog_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of log10 y against log10 x."""
    slope, intercept = np.polyfit(np.log10(x), np.log10(y), 1)
    return float(slope), float(intercept)


@dataclass(frozen=True)
class ExponentFit:
    exponent: float
    coefficients: np.ndarray    # the linear coefficients at that exponent
    sse: float                  # sum of squared residuals


def fit_exponent(design: Design, y: np.ndarray, bounds: tuple[float, float],
                 grid: int = 81, zooms: int = 3) -> ExponentFit:
    """The exponent in `bounds` (and the linear coefficients) that minimise the squared
    error of design(exponent) @ coefficients against y: the best of a grid, then of a
    finer grid around it, `zooms` times (each 10x finer)."""
    low, high = bounds
    for points in [grid] + [21] * zooms:
        candidates = np.linspace(low, high, points)
        best = int(np.argmin(_grid_errors(design, y, candidates)))
        low, high = candidates[max(best - 1, 0)], candidates[min(best + 1, points - 1)]
    exponent = float(candidates[best])
    coefficients, sse = _solve(design, y, exponent)
    return ExponentFit(exponent=exponent, coefficients=coefficients, sse=sse)


@dataclass(frozen=True)
class TwoDecaysFit:
    """y = E + A * x1^-a + B * x2^-b."""

    exponents: tuple[float, float]      # a, b
    coefficients: np.ndarray            # E, A, B


def fit_two_decays(x1: np.ndarray, x2: np.ndarray, y: np.ndarray,
                   bounds: tuple[float, float], grid: int = 41,
                   zooms: int = 4) -> TwoDecaysFit:
    """Least squares for y = E + A * x1^-a + B * x2^-b (Chinchilla's law in N and D), linear
    in E, A, B once a and b are fixed: the best pair of a grid over `bounds` in each, then
    of finer grids around it, each pair solved exactly (all of a grid at once). Pass x1 and
    x2 scaled near 1 (by their geometric means) for conditioning."""
    (low_1, high_1), (low_2, high_2) = bounds, bounds
    ones = np.ones_like(y)
    for points in [grid] + [11] * zooms:
        first, second = np.linspace(low_1, high_1, points), np.linspace(low_2, high_2, points)
        decay_1 = x1[None, :] ** -first[:, None]              # (points, n)
        decay_2 = x2[None, :] ** -second[:, None]
        features = np.stack(np.broadcast_arrays(
            ones[None, None, :], decay_1[:, None, :], decay_2[None, :, :]), axis=-1)
        errors = _errors(features.reshape(points * points, len(y), 3), y)
        i, j = divmod(int(np.argmin(errors)), points)
        low_1, high_1 = first[max(i - 1, 0)], first[min(i + 1, points - 1)]
        low_2, high_2 = second[max(j - 1, 0)], second[min(j + 1, points - 1)]
    a, b = float(first[i]), float(second[j])
    coefficients, *_ = np.linalg.lstsq(np.column_stack([ones, x1 ** -a, x2 ** -b]), y,
                                       rcond=None)
    return TwoDecaysFit(exponents=(a, b), coefficients=coefficients)


def _grid_errors(design: Design, y: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """The least-squares error at each exponent, solved for all of them at once (by QR,
    which stays accurate when a feature spans many orders of magnitude)."""
    return _errors(np.stack([design(k) for k in exponents]), y)


def _errors(features: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The least-squares error of y against each of a stack of designs (G, n, p)."""
    with np.errstate(all="ignore"):
        usable = np.isfinite(features).all(axis=(1, 2))
        features[~usable] = 1.0
        q, _ = np.linalg.qr(features)
        projected = np.einsum("gnp,n->gp", q, y)
        # The residual is what the columns' span (Q) leaves of y.
        errors = y @ y - (projected ** 2).sum(axis=1)
    return np.where(usable & np.isfinite(errors), errors, np.inf)


def _solve(design: Design, y: np.ndarray, exponent: float) -> tuple[np.ndarray, float]:
    features = design(exponent)
    if not np.isfinite(features).all():
        return np.full(features.shape[1], np.nan), math.inf
    coefficients, *_ = np.linalg.lstsq(features, y, rcond=None)
    residual = features @ coefficients - y
    return coefficients, float(residual @ residual)


def bootstrap(n: int, statistic: Callable[[np.ndarray], T | None], *, resamples: int = 400,
              seed: int = 0) -> list[T]:
    """`statistic` of `resamples` resamplings (with replacement) of indices 0..n-1, drawn
    from a fixed seed so the same data give the same values; the resamples it rejects
    (None) are left out."""
    rng = np.random.default_rng(seed)
    values = (statistic(rng.integers(0, n, n)) for _ in range(resamples))
    return [value for value in values if value is not None]


@dataclass(frozen=True)
class PowerLaw:
    """y = offset + scale * x^exponent."""

    exponent: float
    scale: float
    offset: float = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.offset + self.scale * np.asarray(x, dtype=float) ** self.exponent


# The exponents searched with an offset: wide enough for any scaling law in the literature.
EXPONENT_BOUNDS = (-4.0, 4.0)


def fit_power_law(x: np.ndarray, y: np.ndarray, *, offset: bool,
                  bounds: tuple[float, float] = EXPONENT_BOUNDS) -> PowerLaw:
    """Least squares: in log-log without an offset (y > 0), else on y itself with the
    exponent searched by fit_exponent within `bounds` (x is scaled by its geometric mean for
    conditioning)."""
    if not offset:
        exponent, intercept = loglog_slope(x, y)
        return PowerLaw(exponent=exponent, scale=10 ** intercept)
    unit = math.exp(np.log(x).mean())
    scaled = x / unit
    fit = fit_exponent(lambda k: np.column_stack([np.ones_like(scaled), scaled ** k]), y,
                       bounds)
    constant, scale = fit.coefficients
    return PowerLaw(exponent=fit.exponent, scale=float(scale / unit ** fit.exponent),
                    offset=float(constant))
