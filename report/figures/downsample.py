"""Fewer points per trace, keeping what the eye looks for: each bucket's lowest and highest.

A run logs a point per step, tens of thousands at paper scale; a browser draws a few
thousand per trace without lag, and a page that carries them all grows by megabytes. Min-max
bucketing keeps spikes (a divergence, a loss jump at a data switch) that averaging or
plain striding would hide.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 2000


def minmax_indices(values: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Sorted indices of at most `max_points` of `values` (NaN dropped): split into
    max_points // 2 consecutive buckets, keep each bucket's lowest and highest value."""
    values = np.asarray(values, dtype=float)
    finite = np.flatnonzero(~np.isnan(values))
    if len(finite) <= max_points:
        return finite
    buckets = max_points // 2
    bucket = np.arange(len(finite)) * buckets // len(finite)
    order = np.lexsort((values[finite], bucket))      # by bucket, then by value
    starts = np.searchsorted(bucket[order], np.arange(buckets))
    ends = np.append(starts[1:], len(finite)) - 1
    return finite[np.unique(np.concatenate([order[starts], order[ends]]))]


def band_indices(low: np.ndarray, high: np.ndarray, max_points: int) -> np.ndarray:
    """Indices that keep the extremes of both edges of a band, at most `max_points`."""
    half = max_points // 2
    return np.union1d(minmax_indices(low, half), minmax_indices(high, half))
