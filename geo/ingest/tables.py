"""A RawTable to per-province values (or targets) and a report with one row per input line.

Every input line ends up in the report with a status (joined, no_data, unmatched, aggregate_row,
invalid_value, duplicate, conflict, skipped) and a reason; nothing is coerced silently.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from ..data import regions
from ..data.observations import period_end
from ..data.regions import clean_text, normalise_text
from ..errors import InputError
from .header import RawTable
from .numbers import INVALID, NO_DATA, OK, QUALIFIED, UNIT_MULTIPLIERS, count_problem, parse_number, unit_multiplier

STATUSES = ("joined", "no_data", "unmatched", "aggregate_row", "invalid_value", "duplicate",
            "conflict", "skipped")
REPORT_COLUMNS = ["line", "raw_name", "raw_value", "adcode", "status", "reason", "suggestions",
                  "value"]


@dataclass
class IngestResult:
    values: pd.DataFrame  # one row per joined (province, period)
    report: pd.DataFrame  # one row per input line, REPORT_COLUMNS
    notes: list[str] = field(default_factory=list)  # table-level facts (unit applied, totals)


def ingest_counts(table: RawTable, *, province_col: str, value_col: str,
                  as_of_col: str | None = None, source_col: str | None = None,
                  default_as_of: str | None = None, default_source: str | None = None,
                  allow_qualified: bool = False, multiplier: int | Decimal | None = None,
                  ) -> IngestResult:
    """Per-province counts from a table: values [adcode, value, as_of, source, line] + report.

    Counts must be non-negative numbers and not percentages. `multiplier` None reads the unit
    from the value column's header or a `单位：` title row (`基站数（万个）` -> ×10000); pass 1 to
    take values as written. With an as_of column, one province may appear once per as_of.
    """
    return _ingest(table, province_col=province_col, value_col=value_col, period_col=as_of_col,
                   source_col=source_col, default_period=default_as_of,
                   default_source=default_source, allow_qualified=allow_qualified,
                   multiplier=multiplier, value_name="value", period_name="as_of",
                   parse_period=parse_as_of)


def ingest_targets(table: RawTable, *, province_col: str, target_col: str,
                   target_year_col: str | None = None, source_col: str | None = None,
                   default_target_year: str | int | None = None,
                   default_source: str | None = None, allow_qualified: bool = False,
                   multiplier: int | Decimal | None = None) -> IngestResult:
    """Per-province targets: values [adcode, target, target_year, source, line] + report."""
    return _ingest(table, province_col=province_col, value_col=target_col,
                   period_col=target_year_col, source_col=source_col,
                   default_period=None if default_target_year is None else str(default_target_year),
                   default_source=default_source, allow_qualified=allow_qualified,
                   multiplier=multiplier, value_name="target", period_name="target_year",
                   parse_period=parse_target_year)


def summary(report: pd.DataFrame) -> dict[str, int]:
    """Number of report lines per status, every status listed (zeros included)."""
    counts = report["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in STATUSES}


_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})(?:年|年度)?$"), "{0}"),
    (re.compile(r"^(\d{4})(?:年)?(?:底|末|年底|年末|年终)$"), "{0}-12-31"),
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})月?(?:底|末)?$"), "{0}-{1:02d}"),
    (re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ t]00:00(?::00)?)?$"),
     "{0}-{1:02d}-{2:02d}"),
)


_YEARS = (1900, 2100)  # the years a figure's date may name


def parse_as_of(text: str | None) -> tuple[str | None, str]:
    """(ISO date, year-month or year; reason) for a date cell; (None, '') when empty and
    (None, reason) when it is not a date. `2023年底` is 2023-12-31, a year-end by its words."""
    cell = clean_text(text or "").casefold()
    if not cell:
        return None, ""
    for pattern, fmt in _DATE_PATTERNS:
        m = pattern.match(cell)
        if not m:
            continue
        parts = [int(g) for g in m.groups()]
        if not _YEARS[0] <= parts[0] <= _YEARS[1]:
            break  # "0000", "0202": a typo or a code, not a year of a statistic
        try:
            if len(parts) == 3:
                date(*parts)
            elif len(parts) == 2 and not 1 <= parts[1] <= 12:
                raise ValueError("month out of range")
        except ValueError:
            break
        return fmt.format(*parts), ""
    return None, (f"{text!r} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD, a year from "
                  f"{_YEARS[0]} to {_YEARS[1]})")


def parse_target_year(text: str | None) -> tuple[str | None, str]:
    """('2025', '') for 2025 / 2025年 / 2025.0; (None, reason) otherwise."""
    cell = clean_text(text or "")
    if not cell:
        return None, ""
    m = re.fullmatch(r"(\d{4})(?:\.0+|年|年底|年末)?", cell)
    if m and 1990 <= int(m.group(1)) <= 2100:
        return m.group(1), ""
    return None, f"{text!r} is not a target year (expected a year such as 2025)"


def _column_index(table: RawTable, column: str | None, role: str) -> int | None:
    if column is None:
        return None
    if column in table.header:
        return table.header.index(column)
    # "基站数(万个)" for "基站数（万个）": the same name once width and spacing are folded.
    key = normalise_text(column)
    same = [i for i, name in enumerate(table.header) if normalise_text(name) == key]
    if len(same) != 1:
        raise InputError(f"no column named {column!r} for the {role}", file=table.filename,
                         column=column, expected="one of " + ", ".join(map(repr, table.header)))
    return same[0]


def _detect_unit(table: RawTable, value_col: str) -> tuple[Decimal, str, str]:
    """(multiplier, unit, where it was written) from the column header or a `单位：` title row."""
    found = unit_multiplier(value_col)
    if found:
        return found[0], found[1], f"unit {found[1]!r} in the header of column {value_col!r}"
    for line, kind, text in table.skipped:
        if kind == "title" and (found := unit_multiplier(text)):
            return found[0], found[1], f"unit {found[1]!r} in the title row at line {line}"
    return Decimal(1), "", ""


def _ingest(table: RawTable, *, province_col, value_col, period_col, source_col, default_period,
            default_source, allow_qualified, multiplier, value_name, period_name,
            parse_period) -> IngestResult:
    name_i = _column_index(table, province_col, "province")
    value_i = _column_index(table, value_col, value_name)
    period_i = _column_index(table, period_col, period_name)
    source_i = _column_index(table, source_col, "source")
    default_period_value = None
    if default_period is not None:
        default_period_value, why = parse_period(str(default_period))
        if why:
            raise InputError(f"default {period_name}: {why}", file=table.filename)
    notes: list[str] = list(table.notes)
    percent_column = False
    if multiplier is None:
        factor, unit, where = _detect_unit(table, value_col)
        percent_column = unit == "%"
        if factor != 1:
            notes.append(f"values without a unit of their own multiplied by {factor:,} ({where})")
    else:
        factor, where = Decimal(multiplier), f"the multiplier {multiplier} given"
        if factor != 1:
            notes.append(f"values without a unit of their own multiplied by {factor:,} (given)")
    width = len(table.header)
    resolved: dict[str, object] = {}

    report: list[dict] = [_report_row(table.header_line, ", ".join(table.header), "", "skipped",
                                      "header row")]
    report += [_report_row(line, text, "", "skipped", _SKIP_REASONS[kind])
               for line, kind, text in table.skipped]
    entries: list[dict] = []
    for line, cells in table.rows:
        raw_name, raw_value = cells[name_i], cells[value_i]
        row = _report_row(line, raw_name, raw_value, "", "")
        row["period"] = None
        row["source"] = clean_text(cells[source_i]) if source_i is not None else ""
        row["source"] = row["source"] or default_source
        entries.append(row)
        try:
            adcode = _resolve(raw_name, resolved)
        except regions.ProvinceNotFound as exc:
            if exc.kind == "aggregate":
                adcode = regions.NATIONAL_ADCODE
            else:
                row.update(status="unmatched", reason=_unmatched_reason(exc, raw_name),
                           suggestions="; ".join(exc.suggestions))
                continue
        parsed = parse_number(raw_value)
        value, unit_note, unit_problem = _apply_unit(parsed, factor, where)
        row["value"] = value
        if adcode == regions.NATIONAL_ADCODE:
            row.update(status="aggregate_row", reason=f"{raw_name.strip()!r} is a total or "
                       "regional subtotal, not a province; not joined")
            continue
        row["adcode"] = adcode
        if table.ragged.get(line, 0) > width:
            row.update(status=INVALID, value=None, reason=(
                f"line {line} has {table.ragged[line]} cells but the header has {width}: columns "
                "may be shifted (an unquoted comma inside a value?); not joined"))
            continue
        problems = []
        if parsed.status == NO_DATA:
            row.update(status="no_data", reason=f"{parsed.reason}: shown as no data, not 0")
        elif parsed.status == INVALID:
            problems.append(parsed.reason)
        elif parsed.status == QUALIFIED and not allow_qualified:
            problems.append(parsed.reason + " (not accepted unless qualified values are allowed)")
        if percent_column and parsed.status != NO_DATA:
            problems.append(f"column {value_col!r} is in percent, not a count")
        elif parsed.status in (OK, QUALIFIED) and (why := count_problem(parsed)):
            problems.append(f"{raw_value.strip()!r} {why}")
        if unit_problem:
            problems.append(unit_problem)
        where_wrong = [f"column {value_col!r}: " + "; ".join(problems)] if problems else []
        if period_i is not None and clean_text(cells[period_i]):
            period, why = parse_period(cells[period_i])
            if why:
                where_wrong.append(f"column {table.header[period_i]!r}: {period_name} {why}")
            row["period"] = period
        else:
            row["period"] = default_period_value
        if where_wrong:
            # The report's value is the one that would be used; an invalid row has none.
            row.update(status=INVALID, value=None, reason=f"line {line}, " + "; ".join(where_wrong))
            continue
        if row["status"] == "no_data":
            continue
        notes_for_row = []
        if parsed.status == QUALIFIED:
            notes_for_row.append(parsed.reason + "; accepted as given")
        row["qualifier"] = parsed.symbol
        if unit_note:
            notes_for_row.append(unit_note)
        if line in table.ragged:
            notes_for_row.append(f"row has {table.ragged[line]} cells, header has {width}")
        row.update(status="joined", reason="; ".join(notes_for_row))

    _mark_duplicates(entries)
    notes += _total_check(entries)
    values = pd.DataFrame(
        [{"adcode": e["adcode"], value_name: e["value"], period_name: e["period"],
          "source": e["source"], "line": e["line"], "qualifier": e.get("qualifier", "=")}
         for e in entries if e["status"] == "joined"],
        columns=["adcode", value_name, period_name, "source", "line", "qualifier"])
    values = values.astype({"adcode": object, value_name: "float64", "line": "int64"})
    report_frame = pd.DataFrame(
        [{k: r[k] for k in REPORT_COLUMNS} for r in report + entries], columns=REPORT_COLUMNS)
    report_frame = report_frame.sort_values("line", kind="stable").reset_index(drop=True)
    report_frame["value"] = report_frame["value"].astype("float64")
    return IngestResult(values.reset_index(drop=True), report_frame, notes)


def _apply_unit(parsed, factor: Decimal, where: str) -> tuple[float | None, str, str]:
    """(value, what the report says about its unit, problem): a unit is applied once.

    `factor` is the column's multiplier (its header, a `单位：` row or given), `where` says where
    it was found. A cell that writes its own unit ("1.2万") keeps it; the same unit in the header
    too is not applied a second time, and a different one is a conflict, not a guess.
    """
    if parsed.exact is None:
        return None, "", ""
    if not parsed.unit:
        return float(parsed.exact * factor), (f"× {factor:,} ({where})" if factor != 1 else ""), ""
    written = UNIT_MULTIPLIERS[parsed.unit]
    if factor == 1:
        return float(parsed.exact), f"× {written:,} (unit {parsed.unit!r} written in the cell)", ""
    if factor == written:
        return float(parsed.exact), (f"× {written:,} (unit {parsed.unit!r} written in the cell, and "
                                     f"{where}: applied once)"), ""
    return None, "", (f"the cell's unit {parsed.unit!r} (× {written:,}) disagrees with the column's "
                      f"(× {factor:,}, {where})")


MAX_SUGGESTED_NAMES = 1_000  # distinct unknown names given suggestions; the rest are listed only


def _resolve(raw_name: str, cache: dict[str, object]) -> str:
    """resolve_province, remembered per distinct cell text (tables repeat names a lot), with
    suggestions for the first MAX_SUGGESTED_NAMES distinct unknown names only."""
    if raw_name not in cache:
        unknown = cache.setdefault(_UNKNOWN, 0)
        try:
            cache[raw_name] = regions.resolve_province(raw_name,
                                                       suggestions=unknown < MAX_SUGGESTED_NAMES)
        except regions.ProvinceNotFound as exc:
            if exc.kind == "unknown_name":
                cache[_UNKNOWN] = unknown + 1
                if unknown >= MAX_SUGGESTED_NAMES:
                    exc.reason += (f" (suggestions not computed: more than {MAX_SUGGESTED_NAMES:,} "
                                   "distinct unknown names)")
            cache[raw_name] = exc
    found = cache[raw_name]
    if isinstance(found, regions.ProvinceNotFound):
        raise found
    return found


_UNKNOWN = object()  # key of the count of distinct unknown names in _resolve's cache
_SKIP_REASONS = {"title": "title row above the header", "blank": "blank line",
                 "footnote": "footnote below the table"}


def _report_row(line, raw_name, raw_value, status, reason) -> dict:
    return {"line": line, "raw_name": raw_name, "raw_value": raw_value, "adcode": None,
            "status": status, "reason": reason, "suggestions": "", "value": None}


def _unmatched_reason(exc: regions.ProvinceNotFound, raw_name: str) -> str:
    if exc.kind == "empty":
        return "no province name or code in this row"
    reason = f"{raw_name.strip()!r}: {exc.reason}"
    if exc.suggestions:
        reason += " (did you mean " + " or ".join(exc.suggestions) + "? not applied)"
    return reason


def _mark_duplicates(entries: list[dict]) -> None:
    """Lines naming one province for one period more than once: none of them is joined.

    A period is compared by the day it ends, so `2024`, `2024年底` and `2024-12-31` are one
    period. Different values for it are a `conflict` (both reported, neither shown); the same
    value repeated is a `duplicate`.
    """
    groups = defaultdict(list)
    for e in entries:
        if e["adcode"] and e["status"] in ("joined", "no_data", INVALID):
            end = period_end(e["period"]).date().isoformat() if e["period"] else None
            groups[(e["adcode"], end)].append(e)
    for (adcode, end), group in groups.items():
        if len(group) < 2:
            continue
        values = {e["value"] for e in group if e["value"] is not None}
        status = "conflict" if len(values) > 1 else "duplicate"
        name = regions.by_adcode()[adcode].name_zh
        written = sorted({e["period"] for e in group if e["period"]})
        when = f" for {' / '.join(written)}" if written else ""
        if len(written) > 1:
            when += f" (one period, ending {end})"
        for e in group:
            others = [o for o in group if o is not e]
            listed = ", ".join(f"{_shown(o)} on line {o['line']}" if status == "conflict" else str(o["line"])
                               for o in others[:10])
            if len(others) > 10:
                listed += f" and {len(others) - 10} more"
            if status == "conflict":
                text = (f"conflicting values for {name} ({adcode}){when}: {_shown(e)} on this line, "
                        f"{listed}; none of these lines is joined")
            else:
                text = f"{name} ({adcode}){when} also on line(s) {listed}; none of these lines is joined"
            e.update(status=status, reason=text + (f" (this line: {e['reason']})" if e["reason"] else ""))


def _shown(entry: dict) -> str:
    return _figure(entry["value"]) if entry["value"] is not None else repr(entry["raw_value"].strip())


def _total_check(entries: list[dict]) -> list[str]:
    """Compare a national total row with the sum of the joined provinces (information only)."""
    totals = [e for e in entries if e["status"] == "aggregate_row" and e["value"] is not None
              and regions.normalise_text(e["raw_name"]) in _NATIONAL_KEYS]
    joined = sum(e["value"] for e in entries if e["status"] == "joined")
    return [f"total row at line {e['line']} ({e['raw_name'].strip()}) is {_figure(e['value'])}; "
            f"the joined provinces sum to {_figure(joined)}" for e in totals]


def _figure(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


_NATIONAL_KEYS = {normalise_text(n) for n in regions._AGGREGATES["national"]} | {"10", "100000"}
