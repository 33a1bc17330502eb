"""Loss-curve laws: the loss at each step predicted from the learning-rate schedule.

Each law is linear in its coefficients once its exponent alpha is fixed, so it is fitted by
report.checks.fitting.fit_exponent: `features(alpha)` are the columns whose coefficients are
solved for.

    annealing  L(s) = L0 + A * S1^-alpha - C * S2     (Tissue et al., 2024)
    power      L(s) = L0 + A * s^-alpha

S1 is the sum of the learning rates up to step s (the "forward area"); S2 sums the
annealing momentum m_i = decay * m_(i-1) + (lr_(i-1) - lr_i), which grows as the learning
rate comes down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from report.checks.fitting import ExponentFit, fit_exponent

ALPHA_BOUNDS = (0.01, 3.0)
PARAMETERS = {"annealing": ("L0", "A", "C"), "power": ("L0", "A")}


@dataclass(frozen=True)
class Schedule:
    """What a law needs of one run at the steps where its loss was logged."""

    step: np.ndarray
    s1: np.ndarray
    s2: np.ndarray

    @classmethod
    def of(cls, curve: pd.DataFrame, steps: np.ndarray, decay: float) -> Schedule:
        """From a run's logged lr (one record per step; gaps are interpolated)."""
        logged = curve[["step", "lr"]].dropna()
        every = np.arange(1, int(logged.step.max()) + 1)
        lr = np.interp(every, logged.step, logged.lr)
        momentum = np.empty_like(lr)
        m = 0.0
        for i, (before, now) in enumerate(zip(np.r_[lr[0], lr[:-1]], lr, strict=True)):
            m = decay * m + (before - now)
            momentum[i] = m
        at = np.asarray(steps, dtype=int) - 1
        return cls(step=np.asarray(steps, dtype=float), s1=np.cumsum(lr)[at],
                   s2=np.cumsum(momentum)[at])

    def take(self, mask: np.ndarray) -> Schedule:
        return Schedule(step=self.step[mask], s1=self.s1[mask], s2=self.s2[mask])

    def usable(self, law: str) -> np.ndarray:
        """Where the law is defined: S1 > 0 (annealing) or s > 0 (power)."""
        return self.s1 > 0 if law == "annealing" else self.step > 0


def features(law: str, schedule: Schedule, alpha: float) -> np.ndarray:
    ones = np.ones_like(schedule.step)
    if law == "annealing":
        return np.column_stack([ones, schedule.s1 ** -alpha, -schedule.s2])
    return np.column_stack([ones, schedule.step ** -alpha])


@dataclass(frozen=True)
class FittedLaw:
    law: str
    fit: ExponentFit

    def predict(self, schedule: Schedule) -> np.ndarray:
        return features(self.law, schedule, self.fit.exponent) @ self.fit.coefficients

    def parameters(self) -> dict[str, float]:
        names = PARAMETERS[self.law]
        return {"alpha": self.fit.exponent,
                **{name: float(c) for name, c in zip(names, self.fit.coefficients, strict=True)}}


def fit_law(law: str, schedules: list[Schedule], losses: list[np.ndarray]) -> FittedLaw:
    """One law fitted to the points of every schedule at once."""
    joined = Schedule(step=np.concatenate([s.step for s in schedules]),
                      s1=np.concatenate([s.s1 for s in schedules]),
                      s2=np.concatenate([s.s2 for s in schedules]))
    fit = fit_exponent(lambda alpha: features(law, joined, alpha), np.concatenate(losses),
                       ALPHA_BOUNDS)
    return FittedLaw(law=law, fit=fit)
