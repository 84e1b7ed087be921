"""Class breaks (mapclassify), the no-data class and palettes.

Sequential views (counts, rates, targets) use a single-hue ramp. Gap and attainment views use a
diverging palette centred on the target (zero gap / 100 %): classes below the centre are
shortfalls (orange-red), above are surpluses (blue), so the centre is always a class edge.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

# name -> (label, mapclassify classifier). mapclassify is imported when a map is classified
# (it brings scipy and scikit-learn: over a second), not by a command that only lists schemes.
SCHEMES = {
    "quantiles": ("Quantiles", "Quantiles"),
    "natural_breaks": ("Natural breaks (Fisher-Jenks)", "FisherJenks"),
    "equal_interval": ("Equal interval", "EqualInterval"),
}
NO_DATA_COLOUR = "#b4b4b4"
NO_DATA_LABEL = "no data"
# ColorBrewer (Cynthia Brewer, Apache-2.0 licence) ramps, light to dark.
SEQUENTIAL = ["#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c"]
SHORTFALL = ["#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"]  # light (near target) to dark
SURPLUS = ["#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061"]


@dataclass(frozen=True)
class Classification:
    scheme: str
    edges: tuple[float, ...]        # k+1 class edges, ascending
    colours: tuple[str, ...]        # one per class
    classes: tuple[int, ...]        # per input value: class index, -1 for no data
    centre: float | None = None

    def colour_of(self, i: int) -> str:
        return NO_DATA_COLOUR if i < 0 else self.colours[i]

    def labels(self, fmt=lambda v: f"{v:,.0f}") -> list[str]:
        return [f"{fmt(lo)} – {fmt(hi)}" for lo, hi in zip(self.edges[:-1], self.edges[1:])]


def classify(values, scheme: str = "quantiles", k: int = 5, centre: float | None = None) -> Classification:
    """Classify `values` (NaN = no data) with a named scheme; `centre` makes it diverging."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification {scheme!r}; expected one of {', '.join(SCHEMES)}")
    values = pd.Series(values, dtype="float64").to_numpy()
    have = ~np.isnan(values)
    present = values[have]
    if present.size == 0:
        return Classification(scheme, (), (), tuple([-1] * len(values)), centre)
    edges = _edges(present, scheme, k)
    if centre is not None and present.min() < centre < present.max() and centre not in edges:
        edges = np.sort(np.append(edges, centre))
    edges = np.unique(edges)
    if edges.size == 1:  # a single distinct value: one class
        edges = np.array([edges[0], edges[0]])
    idx = np.searchsorted(edges[1:-1], values, side="left")  # value on an edge goes to the lower class
    classes = np.where(have, idx, -1)
    colours = _colours(edges, centre)
    return Classification(scheme, tuple(float(e) for e in edges), tuple(colours),
                          tuple(int(c) for c in classes), centre)


def _edges(present: np.ndarray, scheme: str, k: int) -> np.ndarray:
    distinct = np.unique(present)
    k = max(1, min(k, distinct.size))
    if k == 1:
        return np.array([present.min(), present.max()])
    with warnings.catch_warnings():
        # mapclassify warns when ties leave fewer classes than asked (the legend shows what is
        # left) and when numba is absent (the pure-Python Fisher-Jenks is fast for 34 values).
        warnings.simplefilter("ignore", UserWarning)
        import mapclassify

        classifier = getattr(mapclassify, SCHEMES[scheme][1])
        bins = classifier(present, k=k).bins  # upper bounds of each class
    return np.concatenate([[present.min()], bins])


def _colours(edges: np.ndarray, centre: float | None) -> list[str]:
    n = len(edges) - 1
    if centre is None:
        return _spread(SEQUENTIAL, n)
    below = [i for i in range(n) if edges[i + 1] <= centre]
    above = [i for i in range(n) if edges[i + 1] > centre]
    # Darkest shortfall for the lowest class: ramps are light-to-dark away from the centre.
    return list(reversed(_spread(SHORTFALL, len(below)))) + _spread(SURPLUS, len(above))


def _spread(ramp: list[str], n: int) -> list[str]:
    if n <= 0:
        return []
    if n == 1:
        return [ramp[len(ramp) // 2]]
    return [ramp[round(i * (len(ramp) - 1) / (n - 1))] for i in range(n)]
