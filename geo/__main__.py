"""Command line for batch use.

  python -m geo export --metric bs5g --view gap --as-of 2025-12-31 [--provinces 110000,310000] --out out.geojson
  python -m geo render --metric bs5g --view gap --out map.html
  python -m geo join-points sites.csv --lon lng --lat lat [--datum wgs84] [--level province] --out counts.csv

Bad arguments give a one-line error on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InputError
from .classify import SCHEMES
from .metrics import METRICS, VIEWS
from .targets import RULES


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not the usage block
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def _view_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metric", default="bs5g", choices=sorted(METRICS))
    p.add_argument("--view", default="value", choices=list(VIEWS))
    p.add_argument("--as-of", default="2025-12-31", help="YYYY-MM-DD: newest figure at or before this date")
    p.add_argument("--rule", choices=list(RULES), help="target allocation rule (default: first available)")
    p.add_argument("--stale-months", type=int, default=24, help="figures older than this are marked stale")
    p.add_argument("--hide-stale", action="store_true", help="show stale figures as no data")
    p.add_argument("--provinces", default="", help="comma-separated adcodes or names (default: all)")
    p.add_argument("--regions", default="", help="comma-separated: East,Central,West,Northeast")
    p.add_argument("--scheme", default="quantiles", choices=list(SCHEMES), help="class breaks")
    p.add_argument("--out", required=True, type=Path)
    u = p.add_argument_group("your own counts table (instead of a bundled metric)")
    u.add_argument("--counts", type=Path, help="CSV/TSV/XLSX of per-province values")
    u.add_argument("--metric-name", default="Your data", help="label of the uploaded metric")
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
    p = _Parser(prog="python -m geo", description="The rollout mapper's command line.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _view_arguments(sub.add_parser("export", help="write the GeoJSON (or CSV if --out ends in .csv) of a view"))
    _view_arguments(sub.add_parser("render", help="write the interactive map as a standalone offline HTML file"))
    j = sub.add_parser("join-points", help="count points per area by point-in-polygon")
    j.add_argument("file", type=Path)
    j.add_argument("--lon", required=True)
    j.add_argument("--lat", required=True)
    j.add_argument("--datum", default="gcj02", choices=["wgs84", "gcj02", "bd09"])
    j.add_argument("--level", default="province", choices=["province", "prefecture", "county"])
    j.add_argument("--fix-swapped", action="store_true", help="swap lon/lat back when a whole file is swapped")
    j.add_argument("--out", required=True, type=Path)
    j.add_argument("--assignments", type=Path, help="also write every input row with its area and status")
    return p


def _parse_provinces(text: str) -> list[str]:
    from .regions import ProvinceNotFound, resolve_province
    out = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        try:
            out.append(resolve_province(item))
        except ProvinceNotFound as e:
            raise InputError(f"--provinces: {e}") from None
    return out


def _view(args):
    from . import datasets
    from .view import ViewSpec, build_view, select
    from .regions import REGIONS
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    bad = [r for r in regions if r not in REGIONS]
    if bad:
        raise InputError(f"--regions: unknown region {bad[0]!r}; expected {', '.join(REGIONS)}")
    provinces = _parse_provinces(args.provinces)
    try:
        spec = ViewSpec(args.metric, args.view, args.as_of, args.rule, args.stale_months, args.hide_stale)
        spec.validate(METRICS[args.metric])
    except ValueError as e:
        raise InputError(f"bad argument: {e}") from None
    inputs = datasets.load_inputs()
    metric = None
    if args.counts:
        metric = _load_counts(args, inputs)
        spec.metric = metric.key
    result = build_view(spec, boundaries=inputs.boundaries, observations=inputs.observations,
                        targets=inputs.targets, metric=metric)
    return inputs, result, select(result.frame, provinces, regions), provinces


def _load_counts(args, inputs):
    """Ingest --counts into `inputs` as the upload metric; write --report; return the metric."""
    import pandas as pd

    from . import ingest, uploads
    from .export import frame_to_csv
    table = ingest.read_table(args.counts.read_bytes(), args.counts.name)
    guessed = ingest.guess_columns(table.header)
    province_col = args.province_col or guessed["name"] or guessed["adcode"]
    value_col = args.value_col or guessed["value"]
    if not province_col or not value_col:
        raise InputError(f"columns not recognised in {args.counts.name} (found {table.header}); "
                         "name them with --province-col and --value-col")
    result = ingest.ingest_counts(
        table, province_col=province_col, value_col=value_col,
        as_of_col=args.as_of_col or guessed["as_of"], source_col=args.source_col or guessed["source"],
        default_as_of=args.default_as_of, default_source=args.source or f"uploaded file {args.counts.name}")
    if args.report:
        args.report.write_text(frame_to_csv(result.report), encoding="utf-8")
    counts = ingest.summary(result.report)
    print(f"{args.counts.name}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v), file=sys.stderr)
    for note in result.notes:
        print(f"  note: {note}", file=sys.stderr)
    inputs.observations = pd.concat(
        [inputs.observations, uploads.counts_observations(result, unit=args.unit, filename=args.counts.name)],
        ignore_index=True)
    if args.targets_of:
        inputs.targets = pd.concat([inputs.targets, uploads.borrowed_targets(inputs.targets, args.targets_of)],
                                   ignore_index=True)
    return uploads.upload_metric(args.metric_name, args.unit)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "export":
            from .export import to_csv, to_geojson
            _, result, frame, _ = _view(args)
            text = to_csv(result, frame) if args.out.suffix.lower() == ".csv" else to_geojson(result, frame)
            args.out.write_text(text, encoding="utf-8")
            print(f"wrote {len(frame)} provinces to {args.out}")
        elif args.command == "render":
            from .assets import standalone_html
            from .classify import classify
            from .render import build_map
            inputs, result, frame, provinces = _view(args)
            classification = classify(result.frame["value"], args.scheme, 5, VIEWS[args.view].centre)
            m = build_map(result, classification, selected=provinces, facilities=inputs.facilities,
                          hubs=inputs.hubs)
            args.out.write_text(standalone_html(m), encoding="utf-8")
            print(f"wrote {args.out}")
        elif args.command == "join-points":
            from .points import join_points_file
            counts, placed = join_points_file(args.file, lon_col=args.lon, lat_col=args.lat,
                                              datum=args.datum, level=args.level,
                                              fix_swapped=args.fix_swapped)
            from .export import frame_to_csv
            args.out.write_text(frame_to_csv(counts), encoding="utf-8")
            if args.assignments:  # raw cells of the user's file: neutralised for spreadsheets
                args.assignments.write_text(frame_to_csv(placed), encoding="utf-8")
            not_ok = placed[placed["status"] != "ok"]
            print(f"placed {len(placed) - len(not_ok)} of {len(placed)} rows; wrote {args.out}")
            for status, group in not_ok.groupby("status"):
                lines = ", ".join(str(n) for n in group["line"].head(20))
                more = f" and {len(group) - 20} more" if len(group) > 20 else ""
                print(f"  {status}: {len(group)} rows (lines {lines}{more})", file=sys.stderr)
    except (InputError, FileNotFoundError, ValueError) as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
