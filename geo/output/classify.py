"""Class breaks (mapclassify), the no-data class and palettes.

Classes respect the data:
* they never overlap: a class of whole numbers is "4 – 7" after "1 – 3" (counts get whole-number
  edges); other classes read "> 2.5 – 4.0" after "1.0 – 2.5";
* with no more distinct values than classes asked for, each value is its own class (0 and 1 are
  two classes, never one); ties never make a class empty;
* a diverging view (gap, attainment, vs the nation) is classed symmetrically around its centre
  (zero gap, 100 %, 1.0): the same distances on both sides, shortfall in orange-red below, at or
  above in blue, so the centre is always an edge and no sliver class sits beside it; classes with
  no value are not shown.

Sequential views (counts, rates, targets) use a single-hue ramp.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..i18n import t

# name -> (label, mapclassify classifier). mapclassify is imported when a map is classified
# (it brings scipy and scikit-learn: over a second), not by a command that only lists schemes.
SCHEMES = {
    "quantiles": (t("scheme.quantiles"), "Quantiles"),
    "natural_breaks": (t("scheme.natural_breaks"), "FisherJenks"),
    "equal_interval": (t("scheme.equal_interval"), "EqualInterval"),
}
NO_DATA_COLOUR = "#b4b4b4"
NO_DATA_LABEL = "no data"
# ColorBrewer (Cynthia Brewer, Apache-2.0 licence) ramps, light to dark.
SEQUENTIAL = ["#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c"]
SHORTFALL = ["#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"]  # light (near target) to dark
SURPLUS = ["#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061"]


@dataclass(frozen=True)
class Bin:
    lo: float
    hi: float
    lo_open: bool  # the lower bound is not in the class
    hi_open: bool  # the upper bound is not in the class
    colour: str

    def holds(self, values: np.ndarray) -> np.ndarray:
        above = (values > self.lo) if self.lo_open else (values >= self.lo)
        below = (values < self.hi) if self.hi_open else (values <= self.hi)
        return above & below


@dataclass(frozen=True)
class Classification:
    scheme: str
    bins: tuple[Bin, ...]       # ascending, non-overlapping
    classes: tuple[int, ...]    # per input value: index into bins, -1 for no data
    centre: float | None = None
    whole: bool = False         # every value is a whole number: labels use whole-number edges
    names: tuple[str, ...] = ()  # fixed classes: a message key per bin (classify_fixed)

    @property
    def colours(self) -> tuple[str, ...]:
        return tuple(b.colour for b in self.bins)

    @property
    def edges(self) -> tuple[float, ...]:
        """The class bounds, ascending (each shared bound once)."""
        return tuple(sorted({b.lo for b in self.bins} | {b.hi for b in self.bins}))

    def colour_of(self, i: int) -> str:
        return NO_DATA_COLOUR if i < 0 else self.bins[i].colour

    def labels(self, fmt=lambda v: f"{v:,.0f}", lang: str = "en") -> list[str]:
        if self.names:
            return [t(name, lang) for name in self.names]
        out = []
        for b in self.bins:
            if self.whole:  # the whole numbers the class can hold
                lo = b.lo + 1 if b.lo_open else b.lo
                hi = b.hi - 1 if b.hi_open else b.hi
                out.append(fmt(lo) if lo == hi else f"{fmt(lo)} – {fmt(hi)}")
            elif b.lo == b.hi:
                out.append(fmt(b.lo))
            else:
                out.append(f"{'> ' if b.lo_open else ''}{fmt(b.lo)} – {'< ' if b.hi_open else ''}{fmt(b.hi)}")
        return out


# The chance of meeting a target, on fixed classes diverging around 50 %: the same words whatever
# the values (a map of chances must not call 60 % "very likely" because it is the highest).
CHANCE_CLASSES = (
    (0, 10, "chance.very_likely_not", SHORTFALL[4]), (10, 33, "chance.likely_not", SHORTFALL[2]),
    (33, 67, "chance.uncertain", "#fff7bc"), (67, 90, "chance.likely", SURPLUS[2]),
    (90, 100, "chance.very_likely", SURPLUS[4]))


def classify_fixed(values, classes=CHANCE_CLASSES) -> Classification:
    """Classify `values` on fixed (lo, hi, message key, colour) classes, [lo, hi) and the last
    one closed; every class is shown, with or without values."""
    values = pd.Series(values, dtype="float64").to_numpy()
    bins = tuple(Bin(lo, hi, False, i < len(classes) - 1, colour)
                 for i, (lo, hi, _, colour) in enumerate(classes))
    out = np.full(len(values), -1)
    have = ~np.isnan(values)
    for i, b in enumerate(bins):
        out[have & b.holds(values) & (out < 0)] = i
    return Classification("fixed", bins, tuple(int(c) for c in out), 50.0, False,
                          tuple(key for *_, key, _ in classes))


def classify(values, scheme: str = "quantiles", k: int = 5, centre: float | None = None) -> Classification:
    """Classify `values` (NaN = no data) with a named scheme; `centre` makes it diverging."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown classification {scheme!r}; expected one of {', '.join(SCHEMES)}")
    values = pd.Series(values, dtype="float64").to_numpy()
    have = ~np.isnan(values)
    present = values[have]
    if present.size == 0:
        return Classification(scheme, (), tuple([-1] * len(values)), centre)
    whole = bool(np.all(present == np.round(present)))
    if centre is None:
        uppers = _upper_bounds(present, scheme, k, whole)
        colours = _spread(SEQUENTIAL, len(uppers))
        bins, lo, lo_open = [], float(present.min()), False
        for hi, colour in zip(uppers, colours):
            bins.append(Bin(lo, hi, lo_open, False, colour))
            lo, lo_open = hi, True
    else:
        bins = _diverging_bins(present, scheme, k, centre, whole)
    classes = np.full(len(values), -1)
    for i, b in enumerate(bins):
        classes[have & b.holds(values) & (classes < 0)] = i
    return Classification(scheme, tuple(bins), tuple(int(c) for c in classes), centre, whole)


def _upper_bounds(present: np.ndarray, scheme: str, k: int, whole: bool) -> list[float]:
    """Ascending upper bounds of the classes of `present`, each class holding at least one value."""
    distinct = np.unique(present)
    if distinct.size <= k:  # each value its own class
        return [float(v) for v in distinct]
    with warnings.catch_warnings():
        # mapclassify warns when ties leave fewer classes than asked and when numba is absent
        # (the pure-Python Fisher-Jenks is fast for 34 values).
        warnings.simplefilter("ignore", UserWarning)
        import mapclassify
        bins = getattr(mapclassify, SCHEMES[scheme][1])(present, k=k).bins
    if whole:  # whole-number edges for counts
        bins = np.floor(bins)
    # Snap each bound down to the largest value it covers; drop bounds that add no value.
    uppers: list[float] = []
    for bound in np.append(bins[:-1], distinct[-1]):
        covered = distinct[distinct <= bound]
        if covered.size and (not uppers or covered[-1] > uppers[-1]):
            uppers.append(float(covered[-1]))
    return uppers


def _diverging_bins(present: np.ndarray, scheme: str, k: int, centre: float, whole: bool) -> list[Bin]:
    """The same distances from `centre` on both sides: shortfall classes [c - s_j, c - s_j-1)
    below it, [c, c + s_1] and (c + s_j-1, c + s_j] at or above it; empty classes dropped and the
    outermost bounds clipped to the data."""
    distance = np.abs(present - centre)
    steps = _upper_bounds(distance[distance > 0], scheme, max(1, (k + 1) // 2), whole) \
        if (distance > 0).any() else [0.0]
    shortfall, surplus = _spread(SHORTFALL, len(steps)), _spread(SURPLUS, len(steps))
    below, above = [], []
    for j, step in enumerate(steps):
        previous = steps[j - 1] if j else 0.0
        below.append(Bin(centre - step, centre - previous, False, True, shortfall[j]))
        above.append(Bin(centre + previous, centre + step, j > 0, False, surplus[j]))
    bins = [b for b in below[::-1] + above if b.holds(present).any()]
    low, high = float(present.min()), float(present.max())
    if bins and bins[0].lo < low:
        bins[0] = Bin(low, bins[0].hi, False, bins[0].hi_open, bins[0].colour)
    if bins and bins[-1].hi > high:
        bins[-1] = Bin(bins[-1].lo, high, bins[-1].lo_open, False, bins[-1].colour)
    return bins


def _spread(ramp: list[str], n: int) -> list[str]:
    if n <= 0:
        return []
    if n == 1:
        return [ramp[len(ramp) // 2]]
    return [ramp[round(i * (len(ramp) - 1) / (n - 1))] for i in range(n)]
