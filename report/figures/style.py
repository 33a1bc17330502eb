"""What every report figure shares: panels side by side, one color per line label, axes.

Colors of text, grid and background are not set here: the site's script applies the light
or dark palette when it draws a figure and again when the reader switches palettes. Line
colors are fixed and read on both backgrounds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb, qualitative
from plotly.subplots import make_subplots

PALETTE = qualitative.Plotly
KEY_COLOR = "#888888"   # legend-only entries that explain marker symbols
HEIGHT = 440


def panels_figure(titles: list[str], *, secondary_y: bool = False,
                  shared_y: bool = True) -> go.Figure:
    """Panels in one row, titled, sharing the y axis (and a second one on the right)."""
    specs = [[{"secondary_y": secondary_y}] * len(titles)]
    fig = make_subplots(rows=1, cols=len(titles), shared_yaxes=shared_y, specs=specs,
                        subplot_titles=titles, horizontal_spacing=0.06 if secondary_y else 0.03)
    fig.update_layout(template="none", height=HEIGHT, hovermode="closest",
                      margin={"l": 60, "r": 60 if secondary_y else 20, "t": 64, "b": 50})
    return fig


def colors(labels: Iterable[Any]) -> dict[Any, str]:
    """One color per label, in natural order, so a line has the same color in every panel and
    every figure of a page: a sweep figure keyed by `32, 64, 128` and a curves figure keyed by
    `width=32, width=64, width=128` both give width 32 the first color."""
    ordered = sorted(set(labels), key=_natural_key)
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(ordered)}


def _natural_key(label: Any) -> tuple:
    # Numbers inside a label compare as numbers ("width=32" before "width=128").
    parts = re.split(r"(\d+(?:\.\d+)?)", str(label))
    return tuple((0, float(part), "") if i % 2 else (1, 0.0, part)
                 for i, part in enumerate(parts) if part)


def translucent(color: str, alpha: float = 0.2) -> str:
    red, green, blue = hex_to_rgb(color)
    return f"rgba({red},{green},{blue},{alpha})"


def axis_type(values: Iterable[Any]) -> str:
    """log for positive numbers spanning a factor of four or more (widths, learning rates),
    category for anything not numeric, linear otherwise."""
    array = np.asarray(list(values), dtype=object)
    if not all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
               for v in array):
        return "category"
    numbers = array.astype(float)
    if (numbers > 0).all() and numbers.max() >= 4 * numbers.min():
        return "log"
    return "linear"


def label(name: str, value: Any) -> str:
    return f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"


def compact(values: Iterable[float]) -> np.ndarray:
    """Plotted values as float32: figures travel as binary arrays, and half the bytes per
    value keep a page with many curves small; 7 digits are more than a plot resolves."""
    return np.asarray(values, dtype=np.float32)
