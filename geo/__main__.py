"""Command line for batch use (also installed as `rollout-mapper`).

  python -m geo export --metric bs5g --view gap --as-of 2025-12-31 [--provinces 110000,310000] --out out.geojson
  python -m geo render --metric bs5g --view gap --out map.html     # or map.png (300 dpi), map.svg
  python -m geo render --metric high_tech_zones --area 440000 --out gd.png   # 广东's prefectures
  python -m geo join-points sites.csv --lon lng --lat lat --datum wgs84 [--level province] --out counts.csv
  python -m geo trajectory --metric bs5g --out trajectory.csv
  python -m geo join-points 'sites/*.parquet' --engine dask [--scheduler tcp://host:8786] ... --assignments out_dir/
  python -m geo prepare            # boundaries and join indexes, cached (set-up runs it)

A user's mistake (a bad argument or file) gives a one-line `error:` on stderr and exit status 2;
arguments and the paths of inputs and outputs are checked before any work. A broken installation
or bundled file gives `error (not in your input):` and exit status 1. Anything else is a bug:
exit status 1 with a one-line note (the traceback with --debug).
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from . import config
from .errors import GeoError, InputError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not the usage block
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def _months(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of months") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} months: expected 0 or more")
    return value


def _view_date(text: str) -> str:
    import pandas as pd
    try:
        date = pd.Timestamp(text.strip())
    except (ValueError, TypeError, OverflowError):
        date = pd.NaT
    if pd.isna(date):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)")
    return text


def _figure_date(text: str) -> str:
    from .ingest import parse_as_of
    value, why = parse_as_of(text)
    if not value:
        raise argparse.ArgumentTypeError(why or f"{text!r} is not a date (expected YYYY-MM-DD)")
    return text


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: expected 1 or more")
    return value


def _view_arguments(p: argparse.ArgumentParser) -> None:
    from .analysis.targets import RULES
    from .analysis.views import VIEWS
    from .data.metrics import METRICS
    from .output.classify import SCHEMES
    p.add_argument("--metric", default=config.DEFAULT_METRIC, choices=sorted(METRICS))
    p.add_argument("--view", choices=list(VIEWS),
                   help=f"default: {config.DEFAULT_VIEW} where the metric has estimates, else {config.FALLBACK_VIEW}")
    p.add_argument("--as-of", default=config.DEFAULT_AS_OF, type=_view_date,
                   help="YYYY-MM-DD: newest figure at or before this date")
    p.add_argument("--rule", choices=list(RULES), help="target allocation rule (default: first available)")
    p.add_argument("--tolerance-months", type=_months, default=config.DEFAULT_TOLERANCE_MONTHS,
                   help="only figures at most this many months older than --as-of are coloured and "
                        f"compared (default {config.DEFAULT_TOLERANCE_MONTHS})")
    p.add_argument("--target-at", choices=["figure-date", "target-year"], default="figure-date",
                   help="compare each figure with the target in force at its own date (default), or "
                        "with the target due at the end of --target-year")
    p.add_argument("--target-year", type=int, help="with --target-at target-year (default: the seed's year)")
    p.add_argument("--national-pace", action="store_true",
                   help="also project provinces with a single figure, at the national pace")
    p.add_argument("--estimates", action="store_true",
                   help="compare the model's estimates at the date (with 80 %% intervals) instead of "
                        "each province's last figure (views nowcast and target_probability always do)")
    p.add_argument("--provinces", default="", help="comma-separated adcodes or names (default: all)")
    p.add_argument("--regions", default="", help="comma-separated: East,Central,West,Northeast")
    p.add_argument("--scheme", default=config.DEFAULT_SCHEME, choices=list(SCHEMES), help="class breaks")
    p.add_argument("--classes", type=int, default=config.DEFAULT_CLASSES, choices=range(3, 8),
                   metavar="3-7", help="number of classes")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language of the map's labels")
    p.add_argument("--area", help="drill down: a province's adcode (its prefectures) or a prefecture's "
                                  "(its counties); for metrics counted from points")
    p.add_argument("--out", required=True, type=Path,
                   help="GeoJSON; CSV if it ends in .csv, GeoParquet if it ends in .parquet")
    u = p.add_argument_group("your own counts table (instead of a bundled metric)")
    u.add_argument("--counts", type=Path, help="CSV/TSV/XLSX of per-province values")
    u.add_argument("--metric-name", default="Your data", help="label of your metric")
    u.add_argument("--unit", default="count")
    u.add_argument("--province-col", help="column naming the province (default: recognised by name)")
    u.add_argument("--value-col", help="column holding the value (default: recognised by name)")
    u.add_argument("--as-of-col", help="column holding each row's date")
    u.add_argument("--source-col", help="column holding each row's source")
    u.add_argument("--default-as-of", type=_figure_date, help="date for rows without one (YYYY-MM-DD)")
    u.add_argument("--source", help="source for rows without one")
    u.add_argument("--targets-of", choices=sorted(METRICS), help="measure against this metric's targets")
    u.add_argument("--report", type=Path, help="write the per-line ingestion report (CSV)")


def parser() -> argparse.ArgumentParser:
    levels = tuple(config.ADMIN_LEVELS)  # geo.spatial.join.LEVELS without importing geopandas to parse
    p = _Parser(prog="python -m geo", description="The rollout mapper's command line.")
    p.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _view_arguments(sub.add_parser("export", help="write the GeoJSON (or CSV if --out ends in .csv) of a view"))
    render = sub.add_parser("render", help="write the interactive map as a standalone offline HTML file, "
                                           "or a picture if --out ends in .png or .svg")
    _view_arguments(render)
    picture = render.add_argument_group("pictures (.png, .svg)")
    picture.add_argument("--labels", default="zh", choices=["zh", "en", "none"],
                         help="names on the areas: Chinese, English (provinces only) or none")
    picture.add_argument("--dpi", type=int, default=300, choices=range(72, 601), metavar="72-600")
    j = sub.add_parser("join-points", help="count points per area by point-in-polygon")
    j.add_argument("file", metavar="source",
                   help="a point file (CSV, Parquet, GeoParquet, .xlsx, GeoJSON), a directory of "
                        "them or a quoted glob ('sites/*.parquet'); read in chunks, without caps")
    j.add_argument("--lon", required=True)
    j.add_argument("--lat", required=True)
    j.add_argument("--datum", required=True, choices=["wgs84", "gcj02", "bd09"],
                   help="the datum of the coordinates: wgs84 (GPS, OpenStreetMap), gcj02 (AMap, "
                        "Tencent) or bd09 (Baidu); it cannot be read off the numbers")
    j.add_argument("--level", default="province", choices=list(levels))
    j.add_argument("--fix-swapped", action="store_true", help="swap lon/lat back when a whole file is swapped")
    j.add_argument("--out", required=True, type=Path)
    j.add_argument("--assignments", type=Path,
                   help="also write every input row with its area and status: one CSV file if the "
                        "path ends in .csv, else a directory of GeoParquet parts")
    j.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="local: this process, chunk by chunk; dask: a dask.distributed cluster")
    j.add_argument("--scheduler", help="dask scheduler address (tcp://host:8786); default "
                                       "$ROLLOUT_DASK_SCHEDULER, else a LocalCluster here")
    j.add_argument("--workers", type=_positive, help="LocalCluster workers (default: one per core)")
    j.add_argument("--max-bytes", type=_positive, help="refuse a file larger than this (default: no cap)")
    j.add_argument("--max-rows", type=_positive, help="refuse more data rows than this (default: no cap)")
    t = sub.add_parser("trajectory", help="write each province's figures, interpolations, projections "
                                          "and target in force (CSV), each row marked")
    t.add_argument("--metric", default=config.DEFAULT_METRIC)
    t.add_argument("--rule", help="target allocation rule (default: first available)")
    t.add_argument("--provinces", default="", help="comma-separated adcodes or names (default: all)")
    t.add_argument("--out", required=True, type=Path)
    b = sub.add_parser("backtest", help="hold out each provincial figure (and every figure after "
                                        "cut-off dates), estimate it from the rest, write one row each "
                                        "with two baselines, print the errors by gap")
    b.add_argument("--metric", default="bs5g")
    b.add_argument("--out", required=True, type=Path)
    b.add_argument("--write-calibration", action="store_true",
                   help="also write data/nowcast_calibration.json (the intervals the app shows)")
    r = sub.add_parser("prepare", help="prepare the display boundaries and join indexes (set-up runs this)")
    r.add_argument("--levels", default=",".join(levels),
                   help=f"join indexes to build, comma-separated (default: {','.join(levels)})")
    return p


def _split(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _view(args):
    import geo
    # Only the facility counts the view needs: they take the spatial join (a second or more).
    bundle = geo.load()  # facility counts and the join index are loaded only if the view needs them
    metric = args.metric
    if args.counts:
        layer = geo.Layer.from_table(
            args.counts, name=args.metric_name, unit=args.unit, province_col=args.province_col,
            value_col=args.value_col, as_of_col=args.as_of_col, source_col=args.source_col,
            default_as_of=args.default_as_of, default_source=args.source, targets_of=args.targets_of)
        if args.report:
            from .files import write_output
            write_output(args.report, geo.frame_to_csv(layer.report), inputs=[args.counts])
        print(f"{layer.source_name}: " + ", ".join(f"{k} {v}" for k, v in layer.summary.items()),
              file=sys.stderr)
        for note in layer.notes:
            print(f"  note: {note}", file=sys.stderr)
        bundle, metric = bundle.with_layer(layer), layer.key
    if args.area:
        if args.provinces or args.regions or args.rule:
            raise InputError("--area shows every area of a province or prefecture; --provinces, "
                             "--regions and --rule do not apply to it")
        result = geo.drill_down(bundle, args.area, metric=metric, view=args.view or config.FALLBACK_VIEW,
                                as_of=args.as_of,
                                tolerance_months=args.tolerance_months)
    else:
        result = geo.view(bundle, metric=metric, view=args.view or geo.default_view(bundle, metric),
                          as_of=args.as_of, rule=args.rule,
                          tolerance_months=args.tolerance_months, target_at=args.target_at.replace("-", "_"),
                          target_year=args.target_year, national_pace=args.national_pace,
                          estimates=args.estimates,
                          provinces=_split(args.provinces), regions=_split(args.regions))
    for note in result.notes[1:]:  # the first is the metric's explanation
        print(f"  note: {note}", file=sys.stderr)
    return result

def _check_paths(args) -> list[Path]:
    """The inputs, once each is known to be a regular file and no output would replace one of
    them or another output: told before any work, in one line."""
    from .files import check_input, check_output
    inputs = [p for p in (getattr(args, "counts", None),) if p]
    if getattr(args, "file", None):  # join-points: a file, a directory or a glob of files
        from .ingest.stream import dataset_files
        inputs += dataset_files(args.file)
    for path in inputs:
        check_input(path)
    assignments = getattr(args, "assignments", None)
    outputs = [p for p in (getattr(args, "out", None), getattr(args, "report", None),
                           # a directory of GeoParquet parts unless it ends in .csv
                           assignments if assignments and assignments.suffix.lower() == ".csv" else None)
               if p]
    targets = [check_output(path, inputs=inputs) for path in outputs]
    for i, target in enumerate(targets):
        if target in targets[:i]:
            raise InputError("two outputs are the same file", file=str(outputs[i]),
                             expected="a different path for each output")
    return inputs


def _run(args) -> None:
    import geo

    from .files import write_output
    inputs = _check_paths(args)
    if args.command == "prepare":
        bad = [level for level in _split(args.levels) if level not in config.ADMIN_LEVELS]
        if bad:
            raise InputError(f"unknown level {bad[0]!r}", expected=", ".join(config.ADMIN_LEVELS))
    if args.command == "export":
        v = _view(args)
        suffix = args.out.suffix.lower()
        text = (geo.to_csv(v) if suffix == ".csv" else geo.to_geoparquet(v) if suffix == ".parquet"
                else geo.to_geojson(v))
        write_output(args.out, text, inputs=inputs)
        areas = "provinces" if v.level == "province" else f"{v.level} areas"
        print(f"wrote {len(v.selection)} {areas} to {args.out}")
    elif args.command == "render":
        v = _view(args)
        suffix = args.out.suffix.lower()
        if suffix == ".png":
            data = geo.to_png(v, None, args.scheme, args.classes, dpi=args.dpi, names=args.labels, lang=args.lang)
        elif suffix == ".svg":
            data = geo.to_svg(v, None, args.scheme, args.classes, names=args.labels, lang=args.lang)
        else:
            data = geo.to_html(v, args.scheme, args.classes, lang=args.lang)
        write_output(args.out, data, inputs=inputs)
        print(f"wrote {args.out}")
    elif args.command == "trajectory":
        table = geo.trajectory(geo.load(), args.metric, rule=args.rule,
                               adcodes=[geo.resolve_province(p) for p in _split(args.provinces)] or None)
        write_output(args.out, geo.trajectory_csv(table), inputs=inputs)
        print(f"wrote {len(table)} rows ({', '.join(f'{k} {v}' for k, v in table['kind'].value_counts().items())}) "
              f"to {args.out}")
    elif args.command == "backtest":
        bundle = geo.load()
        rows = geo.backtest(bundle, args.metric)
        write_output(args.out, geo.frame_to_csv(rows), inputs=inputs)
        table = geo.backtest_summary(rows)
        print("median absolute % error of the held-out figures, by months to the nearest figure left in")
        print(table.round(1).to_string(index=False))
        if args.write_calibration:
            from .analysis import estimates
            calibration = estimates.calibrate(bundle.estimates(args.metric).evidence)
            estimates.write_calibration(calibration)
            print(f"wrote {estimates.CALIBRATION_JSON}")
        print(f"wrote {len(rows)} rows to {args.out}")
    elif args.command == "prepare":
        import time

        from .data import boundaries
        from .spatial import join
        start = time.perf_counter()
        boundaries.load_display()
        for level in _split(args.levels):
            join.area_index(level)
        print(f"boundaries and join indexes ready in {boundaries.cache_dir()} "
              f"({time.perf_counter() - start:.1f} s)")
    elif args.command == "join-points":
        _join_points(args)


def _join_points(args) -> None:
    """Local files have no upload caps here (the machine is the user's own): they are read in
    chunks, the assignments written as they are made (CSV cells neutralised for spreadsheets)."""
    import geo

    from .files import check_output, write_output
    from .ingest.stream import dataset_files
    files = dataset_files(args.file)
    check_output(args.out, inputs=files)  # before a long run, not after it
    if args.assignments is not None and args.assignments.suffix.lower() == ".csv":
        check_output(args.assignments, inputs=files + [args.out])
    options = dict(lon_col=args.lon, lat_col=args.lat, datum=args.datum, level=args.level,
                   fix_swapped=args.fix_swapped, assignments=args.assignments,
                   max_bytes=args.max_bytes, max_rows=args.max_rows)
    cluster = {k: v for k, v in (("scheduler", args.scheduler), ("workers", args.workers)) if v is not None}
    joined = geo.join_points(args.file, engine=args.engine, **cluster, **options)
    write_output(args.out, geo.frame_to_csv(joined.counts), inputs=files)
    ok = joined.statuses.get("ok", 0)
    print(f"placed {ok} of {joined.rows} rows; wrote {args.out}"
          + (f" and {args.assignments}" if args.assignments else ""))
    for line in joined.summary_lines():
        print(f"  {line}", file=sys.stderr)


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    (file or sys.stderr).write(f"warning: {message}\n")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning  # a rebuilt cache is said in one line
            _run(args)
    except InputError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    except GeoError as e:  # bundled data or assets broken: not the user's doing
        sys.stderr.write(f"error (not in your input): {e}\n")
        return 1
    except Exception as e:  # noqa: BLE001 - a bug: say so in one line unless asked for more
        if args.debug:
            raise
        sys.stderr.write(f"internal error (a bug, please report it): {type(e).__name__}: {e}; "
                         "run with --debug for the traceback\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
