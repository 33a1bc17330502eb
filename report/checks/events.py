"""When an event happens in a run: the first step (or token count) at which a logged curve
crosses a threshold.

The time is interpolated linearly between the last logged point before the crossing and the
first at or past it; the gap between them bounds it, so its standard uncertainty is
gap / sqrt(12). A curve already past the threshold at its first logged point crossed at some
time up to it. Diverged runs logged their curves up to the step they diverged at (that step's
non-finite values as missing), so their events are read the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from compiler.language.check_args import Event


@dataclass(frozen=True)
class Time:
    """An event's time in one run, or when it was not seen: `at` is None and `until` is the
    last time the run logged the curve (the event did not happen by then)."""

    at: float | None
    error: float                # standard uncertainty of `at`
    until: float                # the last time logged

    @property
    def seen(self) -> bool:
        return self.at is not None


def event_time(curve: pd.DataFrame, event: Event, unit: str) -> Time:
    """The time of `event` in one run's logged curve (`unit`: step or tokens)."""
    if event.metric not in curve or unit not in curve:
        return Time(None, 0.0, 0.0)
    logged = curve[[unit, event.metric]].dropna()
    time, value = logged[unit].to_numpy(float), logged[event.metric].to_numpy(float)
    if not len(time):
        return Time(None, 0.0, 0.0)
    sign = 1.0 if event.above is not None else -1.0
    threshold = event.above if event.above is not None else event.below
    # past > 0 where the curve is at or beyond the threshold (above it, or below it).
    past = sign * (value - threshold)
    crossed = np.flatnonzero(past >= 0)
    if not len(crossed):
        return Time(None, 0.0, float(time[-1]))
    i = int(crossed[0])
    if i == 0:
        return Time(float(time[0]), float(time[0]) / math.sqrt(12), float(time[-1]))
    before, after = past[i - 1], past[i]
    share = -before / (after - before)
    at = time[i - 1] + share * (time[i] - time[i - 1])
    return Time(float(at), float(time[i] - time[i - 1]) / math.sqrt(12), float(time[-1]))


@dataclass(frozen=True)
class MeanTime:
    """An event's time over the seeds of one config."""

    at: float | None            # the mean over seeds, when every seed saw it
    error: float                # its standard uncertainty: resolution and seed spread
    until: float                # when no seed saw it: the earliest any curve ends
    seeds: int
    split: bool                 # some seeds saw it and some did not


def over_seeds(times: list[Time]) -> MeanTime:
    seen = [t for t in times if t.seen]
    if not seen or len(seen) < len(times):
        return MeanTime(None, 0.0, min((t.until for t in times), default=0.0), len(times),
                        split=bool(seen))
    at = np.array([t.at for t in seen])
    resolution = math.sqrt(sum(t.error ** 2 for t in seen)) / len(seen)
    spread = float(np.std(at, ddof=1) / math.sqrt(len(at))) if len(at) > 1 else 0.0
    return MeanTime(float(at.mean()), math.hypot(resolution, spread), 0.0, len(times),
                    split=False)
