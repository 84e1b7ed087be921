"""Command line for batch use (also installed as `rollout-mapper`).

  python -m geo export --metric bs5g --view gap --as-of 2025-12-31 [--provinces 110000,310000] --out out.geojson
  python -m geo render --metric bs5g --view gap --out map.html
  python -m geo join-points sites.csv --lon lng --lat lat --datum wgs84 [--level province] --out counts.csv
  python -m geo join-points 'sites/*.parquet' --engine dask [--scheduler tcp://host:8786] ... --assignments out_dir/
  python -m geo prepare            # boundaries and join indexes, cached (set-up runs it)

A user's mistake (a bad argument or file) gives a one-line `error:` on stderr and exit status 2.
Anything else is a bug: exit status 1 with a one-line note (the traceback with --debug).
"""
from __future__ import annotations

import argparse
import sys
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


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: expected 1 or more")
    return value


def _view_arguments(p: argparse.ArgumentParser) -> None:
    from .classify import SCHEMES
    from .metrics import METRICS
    from .targets import RULES
    from .views import VIEWS
    p.add_argument("--metric", default=config.DEFAULT_METRIC, choices=sorted(METRICS))
    p.add_argument("--view", default=config.DEFAULT_VIEW, choices=list(VIEWS))
    p.add_argument("--as-of", default=config.DEFAULT_AS_OF,
                   help="YYYY-MM-DD: newest figure at or before this date")
    p.add_argument("--rule", choices=list(RULES), help="target allocation rule (default: first available)")
    p.add_argument("--stale-months", type=_months, default=config.DEFAULT_STALE_MONTHS,
                   help="figures older than this are marked stale")
    p.add_argument("--hide-stale", action="store_true", help="show stale figures as no data")
    p.add_argument("--provinces", default="", help="comma-separated adcodes or names (default: all)")
    p.add_argument("--regions", default="", help="comma-separated: East,Central,West,Northeast")
    p.add_argument("--scheme", default=config.DEFAULT_SCHEME, choices=list(SCHEMES), help="class breaks")
    p.add_argument("--classes", type=int, default=config.DEFAULT_CLASSES, choices=range(3, 8),
                   metavar="3-7", help="number of classes")
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
    u.add_argument("--default-as-of", help="date for rows without one (YYYY-MM-DD)")
    u.add_argument("--source", help="source for rows without one")
    u.add_argument("--targets-of", choices=sorted(METRICS), help="measure against this metric's targets")
    u.add_argument("--report", type=Path, help="write the per-line ingestion report (CSV)")


def parser() -> argparse.ArgumentParser:
    from .join import LEVELS
    p = _Parser(prog="python -m geo", description="The rollout mapper's command line.")
    p.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _view_arguments(sub.add_parser("export", help="write the GeoJSON (or CSV if --out ends in .csv) of a view"))
    _view_arguments(sub.add_parser("render", help="write the interactive map as a standalone offline HTML file"))
    j = sub.add_parser("join-points", help="count points per area by point-in-polygon")
    j.add_argument("file", metavar="source",
                   help="a point file (CSV, Parquet, GeoParquet, .xlsx, GeoJSON), a directory of "
                        "them or a quoted glob ('sites/*.parquet'); read in chunks, without caps")
    j.add_argument("--lon", required=True)
    j.add_argument("--lat", required=True)
    j.add_argument("--datum", required=True, choices=["wgs84", "gcj02", "bd09"],
                   help="the datum of the coordinates: wgs84 (GPS, OpenStreetMap), gcj02 (AMap, "
                        "Tencent) or bd09 (Baidu); it cannot be read off the numbers")
    j.add_argument("--level", default="province", choices=list(LEVELS))
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
    r = sub.add_parser("prepare", help="prepare the display boundaries and join indexes (set-up runs this)")
    r.add_argument("--levels", default=",".join(LEVELS),
                   help=f"join indexes to build, comma-separated (default: {','.join(LEVELS)})")
    return p


def _split(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _view(args):
    import geo
    bundle = geo.load()
    metric = args.metric
    if args.counts:
        layer = geo.Layer.from_table(
            args.counts, name=args.metric_name, unit=args.unit, province_col=args.province_col,
            value_col=args.value_col, as_of_col=args.as_of_col, source_col=args.source_col,
            default_as_of=args.default_as_of, default_source=args.source, targets_of=args.targets_of)
        if args.report:
            from .export import frame_to_csv
            from .files import write_output
            write_output(args.report, frame_to_csv(layer.report), inputs=[args.counts])
        print(f"{layer.source_name}: " + ", ".join(f"{k} {v}" for k, v in layer.summary.items()),
              file=sys.stderr)
        for note in layer.notes:
            print(f"  note: {note}", file=sys.stderr)
        bundle, metric = bundle.with_layer(layer), layer.key
    return geo.view(bundle, metric=metric, view=args.view, as_of=args.as_of, rule=args.rule,
                    stale_after_months=args.stale_months, stale_as_no_data=args.hide_stale,
                    provinces=_split(args.provinces), regions=_split(args.regions))


def _run(args) -> None:
    import geo

    from .files import write_output
    inputs = [getattr(args, "counts", None), getattr(args, "file", None)]
    if args.command == "export":
        v = _view(args)
        suffix = args.out.suffix.lower()
        text = (geo.to_csv(v) if suffix == ".csv" else geo.to_geoparquet(v) if suffix == ".parquet"
                else geo.to_geojson(v))
        write_output(args.out, text, inputs=inputs)
        print(f"wrote {len(v.selection)} provinces to {args.out}")
    elif args.command == "render":
        v = _view(args)
        write_output(args.out, geo.to_html(v, args.scheme, args.classes), inputs=inputs)
        print(f"wrote {args.out}")
    elif args.command == "prepare":
        import time

        from . import boundaries, join
        start = time.perf_counter()
        boundaries.load_display()
        for level in _split(args.levels):
            if level not in join.LEVELS:
                raise InputError(f"unknown level {level!r}", expected=", ".join(join.LEVELS))
            join.area_index(level)
        print(f"boundaries and join indexes ready in {boundaries.cache_dir()} "
              f"({time.perf_counter() - start:.1f} s)")
    elif args.command == "join-points":
        _join_points(args)


def _join_points(args) -> None:
    """Local files have no upload caps here (the machine is the user's own): they are read in
    chunks, the assignments written as they are made (CSV cells neutralised for spreadsheets)."""
    from .export import frame_to_csv
    from .files import check_output, write_output
    from .ingest.stream import dataset_files
    files = dataset_files(args.file)
    check_output(args.out, inputs=files)  # before a long run, not after it
    if args.assignments is not None and args.assignments.suffix.lower() == ".csv":
        check_output(args.assignments, inputs=files + [args.out])
    options = dict(lon_col=args.lon, lat_col=args.lat, datum=args.datum, level=args.level,
                   fix_swapped=args.fix_swapped, assignments=args.assignments,
                   max_bytes=args.max_bytes, max_rows=args.max_rows)
    if args.engine == "dask":
        from .distributed import join_points
        joined = join_points(args.file, scheduler=args.scheduler, workers=args.workers, **options)
    else:
        from .pointsets import join_points
        joined = join_points(args.file, **options)
    write_output(args.out, frame_to_csv(joined.counts), inputs=files)
    ok = joined.statuses.get("ok", 0)
    print(f"placed {ok} of {joined.rows} rows; wrote {args.out}"
          + (f" and {args.assignments}" if args.assignments else ""))
    for line in joined.summary_lines():
        print(f"  {line}", file=sys.stderr)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
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
