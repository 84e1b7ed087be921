"""Users' own tables ("bring your own data"): bytes -> RawTable -> per-province values + a report.

Every input line ends up in the report with a status (joined, no_data, unmatched, aggregate_row,
invalid_value, duplicate, skipped) and a reason; nothing is coerced silently. Files are
recognised by their content, never by extension, and nothing uploaded is handed to GDAL: tables are read with the
csv module or openpyxl (after checking the zip's uncompressed size), GeoJSON with `json.loads`.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

import pandas as pd

from . import regions
from .errors import InputError
from .numbers import (INVALID, NO_DATA, OK, QUALIFIED, count_problem, parse_number,
                      unit_multiplier)
from .regions import clean_text, normalise_text

STATUSES = ("joined", "no_data", "unmatched", "aggregate_row", "invalid_value", "duplicate",
            "skipped")
REPORT_COLUMNS = ["line", "raw_name", "raw_value", "adcode", "status", "reason", "suggestions",
                  "value"]


@dataclass(frozen=True)
class Limits:
    """Caps on what one upload may contain; anything over a cap is refused with a message."""
    max_bytes: int = 5_000_000
    max_rows: int = 100_000
    max_columns: int = 200
    max_uncompressed_bytes: int = 50_000_000
    max_features: int = 100_000
    max_vertices_per_feature: int = 10_000


@dataclass
class RawTable:
    """A table as read, before any meaning is given to its cells.

    `rows` holds (file line, cells) with exactly len(header) cells each (short rows padded);
    `ragged` maps the line of every row whose cell count differed from the header's to the count
    found (more cells than the header means columns may have shifted); `skipped` lists
    (line, kind, text) for title rows, blank lines and footnotes. For .xlsx files `line` is the
    worksheet row number, `encoding` is "xlsx" and `delimiter` is "".
    """
    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str
    delimiter: str
    skipped: list[tuple[int, str, str]]
    filename: str
    header_line: int = 1
    ragged: dict[int, int] = field(default_factory=dict)
    sheet: str | None = None

    def to_frame(self, line_column: str = "line") -> pd.DataFrame:
        """The data rows as strings, plus the file line of each row."""
        names = [f"{h} (column)" if h == line_column else h for h in self.header]
        frame = pd.DataFrame([cells for _, cells in self.rows], columns=names, dtype=object)
        frame.insert(0, line_column, [line for line, _ in self.rows])
        return frame


# ---------------------------------------------------------------- reading bytes

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCODING_LABELS = {"utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16 with BOM", "utf-8": "UTF-8",
                   "gb18030": "GB18030 (includes GBK/GB2312)", "xlsx": "Excel workbook (.xlsx)"}


def read_table(data: bytes, filename: str, *, limits: Limits = Limits()) -> RawTable:
    """Read a CSV / tab-separated text file or the first sheet of an .xlsx workbook."""
    kind = _sniff(data, filename, limits)
    if kind == "json":
        raise InputError("this is a JSON file, not a table; upload CSV or .xlsx", file=filename)
    if kind == "xlsx":
        records, sheet = _xlsx_records(data, filename, limits)
        return _shape(records, filename, limits, encoding="xlsx", delimiter="", sheet=sheet)
    text, encoding = decode_text(data, filename)
    delimiter = _sniff_delimiter(text)
    records = _csv_records(text, delimiter, filename, limits)
    return _shape(records, filename, limits, encoding=encoding, delimiter=delimiter)


def _sniff(data: bytes, filename: str, limits: Limits) -> str:
    """What the bytes are, from their content: xlsx, json or text (others are refused)."""
    if len(data) > limits.max_bytes:
        raise InputError(f"file is {len(data):,} bytes, more than the limit of "
                         f"{limits.max_bytes:,}", file=filename)
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError("file is empty", file=filename)
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(_OLE2):
        raise InputError("this is a legacy Excel .xls or a password-protected workbook; save it as "
                         ".xlsx or CSV", file=filename)
    if data.startswith(b"%PDF"):
        raise InputError("this is a PDF; export the table as CSV or .xlsx", file=filename)
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: look at characters, not bytes
        codec = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        head = data[2:130].decode(codec, errors="ignore").lstrip().encode("utf-8")
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith(b"<"):
        raise InputError("this looks like HTML or XML (KML, GPX, VRT...), which is not read; "
                         "upload CSV, .xlsx or GeoJSON", file=filename)
    return "text"


def decode_text(data: bytes, filename: str) -> tuple[str, str]:
    """Decode strictly, trying UTF-8 with BOM, UTF-16 with BOM, UTF-8, then GB18030.

    Never decodes with replacement characters; returns (text, codec name).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif b"\x00" in data:
        raise InputError("file contains NUL bytes: it is binary, or UTF-16 without a byte-order "
                         "mark (save it as UTF-8 or as Excel 'Unicode text')", file=filename)
    else:
        candidates = ["utf-8", "gb18030"]
    for codec in candidates:
        try:
            text = data.decode(codec, errors="strict")
        except UnicodeDecodeError:
            continue
        _refuse_control_characters(text, filename, codec)
        return text, codec
    tried = " or ".join(ENCODING_LABELS[c] for c in candidates)
    raise InputError(f"file is not valid text in {tried}", file=filename, expected="a CSV or tab-separated text file")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _refuse_control_characters(text: str, filename: str, codec: str) -> None:
    # Binary bytes often decode as GB18030 "text", but they keep control characters.
    m = _CONTROL.search(text)
    if m:
        line_no = text.count("\n", 0, m.start()) + 1
        raise InputError(f"control character U+{ord(m.group()):04X} in {ENCODING_LABELS[codec]} "
                         "text: the file looks binary", file=filename, row=line_no)


def _sniff_delimiter(text: str) -> str:
    """The delimiter (',', ';' or tab) that splits the first lines into the most consistent
    number of columns (more than one)."""
    lines = [ln for ln in text.splitlines() if ln.strip()][:30]
    best, best_score = ",", (-1, -1)
    for delimiter in (",", "\t", ";"):
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        modal = max(set(multi), key=multi.count)
        score = (multi.count(modal), modal)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_records(text: str, delimiter: str, filename: str,
                 limits: Limits) -> list[tuple[int, list[str]]]:
    records, start = [], 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
            _check_record_caps(records, cells, filename, limits)
    except csv.Error as exc:
        raise InputError(f"cannot split the line into cells ({exc})", file=filename,
                         row=reader.line_num) from None
    return records


def _check_record_caps(records: list, cells: list, filename: str, limits: Limits) -> None:
    if len(records) > limits.max_rows + 1_000:
        raise InputError(f"more than {limits.max_rows:,} rows", file=filename)
    if len(cells) > limits.max_columns and any(c.strip() for c in cells[limits.max_columns:]):
        raise InputError(f"more than {limits.max_columns} columns", file=filename,
                         row=records[-1][0])


def _xlsx_records(data: bytes, filename: str,
                  limits: Limits) -> tuple[list[tuple[int, list[str]]], str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a readable zip/xlsx file ({exc})", file=filename) from None
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        raise InputError("a zip archive that is not an Excel .xlsx workbook", file=filename)
    total = sum(i.file_size for i in infos)
    # Checked before anything is decompressed; zipfile stops at the declared size while reading.
    if total > limits.max_uncompressed_bytes or len(infos) > 10_000:
        raise InputError(f"workbook unpacks to {total:,} bytes in {len(infos)} parts, more than "
                         f"the limit of {limits.max_uncompressed_bytes:,} bytes", file=filename)
    import openpyxl  # imported here: only .xlsx uploads need it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        if not book.worksheets:
            raise InputError("workbook has no worksheet", file=filename)
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # a stored dimension can claim 16384 columns; read what is there
        records = []
        for number, row in enumerate(sheet.iter_rows(min_row=1), start=1):
            cells = [_xlsx_cell_text(c) for c in row]
            while cells and cells[-1] == "":
                cells.pop()
            records.append((number, cells))
            _check_record_caps(records, cells, filename, limits)
        title = sheet.title
        book.close()
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on malformed workbooks
        raise InputError(f"cannot read the workbook ({type(exc).__name__}: {exc})",
                         file=filename) from None
    return records, title


def _xlsx_cell_text(cell) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        # A cell formatted as a percentage stores 0.12 and shows 12%; keep what the user saw,
        # so that a count column can refuse it.
        if "%" in (getattr(cell, "number_format", "") or ""):
            return _decimal_text(exact * 100) + "%"
        return _decimal_text(exact)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _decimal_text(exact: Decimal) -> str:
    text = format(exact.normalize(), "f")
    return text


# ---------------------------------------------------------------- shaping rows into a table

_FOOTNOTE = re.compile(r"^[*※#\s]*(注|备注|说明|数据来源|资料来源|来源|出处|note|notes|source|sources)"
                       r"\s*\d*\s*[:：]|^[*※#\s]*注\s*\d|^[*※]\s*\S", re.IGNORECASE)


def _filled(cells: list[str]) -> int:
    # A cell holding only a zero-width space or a BOM is empty too.
    return sum(1 for c in cells if c.strip() and (c.isascii() or clean_text(c)))


def _shape(records: list[tuple[int, list[str]]], filename: str, limits: Limits, *,
           encoding: str, delimiter: str, sheet: str | None = None) -> RawTable:
    nonblank = [i for i, (_, cells) in enumerate(records) if _filled(cells)]
    if not nonblank:
        raise InputError("file has no cells with content", file=filename)
    header_at = _find_header(records, nonblank, filename)
    header_line, header_cells = records[header_at]
    skipped = [(line, "title" if _filled(cells) else "blank", _line_text(cells))
               for line, cells in records[:header_at]]
    body, in_footnotes = [], False
    for line, cells in records[header_at + 1:]:
        text = _line_text(cells)
        filled = _filled(cells)
        if not filled:
            skipped.append((line, "blank", ""))
        elif filled == 1 and (_FOOTNOTE.match(clean_text(text)) or in_footnotes):
            # Lines under a footnote ("1. 不含港澳台") continue it.
            in_footnotes = True
            skipped.append((line, "footnote", text))
        else:
            body.append((line, cells))
    if not body:
        raise InputError("file has a header row but no data rows", file=filename, row=header_line,
                         found=_line_text(header_cells))
    if len(body) > limits.max_rows:
        raise InputError(f"{len(body):,} data rows, more than the limit of {limits.max_rows:,}",
                         file=filename)
    header = _header_names(header_cells, body)
    width = len(header)
    rows, ragged = [], {}
    for line, cells in body:
        cells = list(cells)
        while len(cells) > width and not clean_text(cells[-1]):
            cells.pop()  # a trailing delimiter on data rows only
        # xlsx rows come with trailing empty cells trimmed, so only a longer row is ragged there.
        if len(cells) > width or (len(cells) < width and encoding != "xlsx"):
            ragged[line] = len(cells)
        rows.append((line, (cells + [""] * width)[:width]))
    return RawTable(header, rows, encoding, delimiter, skipped, filename, header_line, ragged,
                    sheet)


def _find_header(records, nonblank: list[int], filename: str) -> int:
    """Index of the header: the first row with two or more filled cells that is followed by a
    data row; a row naming a known column (省份, adcode, 经度...) wins over one that does not."""
    multi = [i for i in nonblank[:60] if _filled(records[i][1]) >= 2]
    followed = [i for i in multi if any(j > i for j in nonblank)]
    known = [i for i in followed if any(guess_columns(records[i][1]).values())]
    # A recognised header wins only over a short preamble ("填报单位：…, 日期：…"), so that a data
    # cell that happens to read "名称" deep in a table cannot make the rows above it a title.
    if known and sum(1 for i in multi if i < known[0]) <= 2:
        return known[0]
    if followed:
        return followed[0]
    if multi:
        line, cells = records[multi[0]]
        raise InputError("file has a header row but no data rows", file=filename, row=line,
                         found=_line_text(cells))
    raise InputError("no header row found: no line has two or more filled cells (is the file "
                     "separated by something other than comma, semicolon or tab?)", file=filename)


def _header_names(cells: list[str], body) -> list[str]:
    # The header's own cells set the width: a data row with more cells is ragged (its columns may
    # have shifted), never a reason to invent a column.
    # Names stay as the user wrote them (full-width brackets and all), minus invisible characters.
    names = [_INVISIBLE.sub("", c).strip() for c in cells]
    # Columns with no header and no data are the trace of a trailing delimiter: drop them.
    while names and not names[-1] and not any(
            len(c) >= len(names) and clean_text(c[len(names) - 1]) for _, c in body):
        names.pop()
    out, seen = [], defaultdict(int)
    for position, name in enumerate(names, start=1):
        name = name or f"column {position}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")


def _line_text(cells: list[str]) -> str:
    return ", ".join(c.strip() for c in cells if c.strip())


# ---------------------------------------------------------------- column roles

_SYNONYMS = {
    "name": ("省份", "省", "地区", "省份名称", "地区名称", "省区市", "省市", "省级行政区", "行政区",
             "行政区划", "行政区名称", "行政区划名称", "区域", "名称", "省名", "省份名", "省市区",
             "province", "provincename", "name", "region", "regionname", "prov", "省区"),
    "adcode": ("adcode", "code", "代码", "行政区划代码", "区划代码", "行政代码", "省份代码", "地区代码",
               "省代码", "编码", "行政区划编码", "统计用区划代码", "gbcode", "provincecode",
               "regioncode", "divisioncode", "adcode6", "iso", "isocode", "iso31662"),
    "value": ("value", "count", "数量", "数值", "值", "个数", "总数", "数目", "number", "num",
              "基站数", "基站数量", "5g基站数", "5g基站数量", "5g基站", "站点数", "数据中心数",
              "数据中心数量", "超算中心数", "园区数", "园区数量", "高新区数", "高新区数量", "累计数"),
    "as_of": ("asof", "asofdate", "date", "日期", "时间", "截至", "截止", "截至日期", "截止日期",
              "截至时间", "统计时间", "统计日期", "报告期", "年份", "年度", "年", "year", "period",
              "数据时间", "时点"),
    "source": ("source", "sources", "来源", "数据来源", "资料来源", "出处", "信息来源", "reference",
               "ref", "sourceurl", "url", "链接"),
    "target": ("target", "targetvalue", "目标", "目标值", "目标数", "目标数量", "规划目标", "规划值",
               "预期目标", "规划数", "goal"),
    "target_year": ("targetyear", "目标年份", "目标年", "目标年度", "规划年", "规划年份", "期限",
                    "deadline"),
    "lon": ("lon", "lng", "long", "longitude", "经度", "x", "东经"),
    "lat": ("lat", "latitude", "纬度", "y", "北纬"),
}
ROLES = tuple(_SYNONYMS)


def _header_key(cell: str) -> str:
    key = normalise_text(cell)
    return re.sub(r"(\([^()]*\)|\[[^\[\]]*\])$", "", key)  # "基站数（万个）" -> "基站数"


def column_candidates(header: list[str]) -> dict[str, list[str]]:
    """For each role, every column whose normalised name is a synonym of it."""
    lookup = {normalise_text(s): role for role, names in _SYNONYMS.items() for s in names}
    found: dict[str, list[str]] = {role: [] for role in ROLES}
    for column in header:
        role = lookup.get(_header_key(column))
        if role:
            found[role].append(column)
    return found


def guess_columns(header: list[str]) -> dict[str, str | None]:
    """The column for each role, recognised only by exact normalised synonyms.

    A role with no matching column, or with more than one, is None: the app asks the user.
    Columns are never guessed by position.
    """
    return {role: cols[0] if len(cols) == 1 else None
            for role, cols in column_candidates(header).items()}


# ---------------------------------------------------------------- per-province tables

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
        try:
            if len(parts) == 3:
                date(*parts)
            elif len(parts) == 2 and not 1 <= parts[1] <= 12:
                raise ValueError("month out of range")
        except ValueError:
            break
        return fmt.format(*parts), ""
    return None, f"{text!r} is not a date (expected YYYY, YYYY-MM or YYYY-MM-DD)"


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
    notes: list[str] = []
    percent_column = False
    if multiplier is None:
        factor, unit, where = _detect_unit(table, value_col)
        percent_column = unit == "%"
        if factor != 1:
            notes.append(f"values multiplied by {factor:,} ({where})")
    else:
        factor, where = Decimal(multiplier), f"multiplier {multiplier} given"
        if factor != 1:
            notes.append(f"values multiplied by {factor:,} (given)")
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
        value = None
        if parsed.exact is not None:
            value = float(parsed.exact * factor)
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
        if period_i is not None and clean_text(cells[period_i]):
            period, why = parse_period(cells[period_i])
            if why:
                problems.append(f"{period_name} {why}")
            row["period"] = period
        else:
            row["period"] = default_period_value
        if problems:
            # The report's value is the one that would be used; an invalid row has none.
            row.update(status=INVALID, value=None, reason=f"line {line}, column {value_col!r}: "
                       + "; ".join(problems))
            continue
        if row["status"] == "no_data":
            continue
        notes_for_row = []
        if parsed.status == QUALIFIED:
            notes_for_row.append(parsed.reason + "; accepted as given")
        if factor != 1:
            notes_for_row.append(f"× {factor:,} ({where})")
        if line in table.ragged:
            notes_for_row.append(f"row has {table.ragged[line]} cells, header has {width}")
        row.update(status="joined", reason="; ".join(notes_for_row))

    _mark_duplicates(entries)
    notes += _total_check(entries)
    values = pd.DataFrame(
        [{"adcode": e["adcode"], value_name: e["value"], period_name: e["period"],
          "source": e["source"], "line": e["line"]} for e in entries if e["status"] == "joined"],
        columns=["adcode", value_name, period_name, "source", "line"])
    values = values.astype({"adcode": object, value_name: "float64", "line": "int64"})
    report_frame = pd.DataFrame(
        [{k: r[k] for k in REPORT_COLUMNS} for r in report + entries], columns=REPORT_COLUMNS)
    report_frame = report_frame.sort_values("line", kind="stable").reset_index(drop=True)
    report_frame["value"] = report_frame["value"].astype("float64")
    return IngestResult(values.reset_index(drop=True), report_frame, notes)


def _resolve(raw_name: str, cache: dict[str, object]) -> str:
    """resolve_province, remembered per distinct cell text (tables repeat names a lot)."""
    if raw_name not in cache:
        try:
            cache[raw_name] = regions.resolve_province(raw_name)
        except regions.ProvinceNotFound as exc:
            cache[raw_name] = exc
    found = cache[raw_name]
    if isinstance(found, regions.ProvinceNotFound):
        raise found
    return found


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
    """Every line naming the same province (and period) twice is a duplicate; none is joined."""
    groups = defaultdict(list)
    for e in entries:
        if e["adcode"] and e["status"] in ("joined", "no_data", INVALID):
            groups[(e["adcode"], e["period"])].append(e)
    for (adcode, period), group in groups.items():
        if len(group) < 2:
            continue
        lines = [e["line"] for e in group]
        name = regions.by_adcode()[adcode].name_zh
        for e in group:
            other_lines = [n for n in lines[:12] if n != e["line"]][:10]
            others = ", ".join(map(str, other_lines))
            if len(lines) - 1 > len(other_lines):
                others += f" and {len(lines) - 1 - len(other_lines)} more"
            when = f" for {period}" if period else ""
            e.update(status="duplicate", reason=(
                f"{name} ({adcode}){when} also on line(s) {others}; none of these lines is joined"
                + (f" (this line: {e['reason']})" if e["reason"] else "")))


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


# ---------------------------------------------------------------- point files

POINT_COLUMNS = ["line", "part", "lon", "lat", "problem"]
_WGS84_CRS = {"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:ogc::crs84", "crs84",
              "epsg:4326", "urn:ogc:def:crs:epsg::4326", "urn:ogc:def:crs:epsg:6.6:4326",
              "http://www.opengis.net/def/crs/ogc/1.3/crs84",
              "http://www.opengis.net/def/crs/epsg/0/4326",
              # CGCS2000 lon/lat: within centimetres of WGS 84, far below the GCJ-02 offset.
              "epsg:4490", "urn:ogc:def:crs:epsg::4490"}


def read_points(data: bytes, filename: str, *,
                limits: Limits = Limits()) -> tuple[pd.DataFrame, str]:
    """A frame of string columns with one row per point, and the kind ('csv', 'xlsx', 'geojson').

    CSV and .xlsx go through read_table (columns as in the file plus `line`). GeoJSON is parsed
    with json.loads only; its frame has `line` (feature index + 1), `part` (point number within
    a MultiPoint), `lon`, `lat`, `problem` (why a feature cannot be placed: not a point, no
    geometry, bad or out-of-range coordinates, too many points; '' when fine) and the feature's
    properties flattened to strings (a property whose name collides gets a `properties.` prefix).
    A legacy `crs` other than WGS 84 / CRS84 (or CGCS2000 lon/lat) is refused for the whole file.
    """
    kind = _sniff(data, filename, limits)
    if kind == "text" or kind == "xlsx":
        table = read_table(data, filename, limits=limits)
        frame = table.to_frame()
        width = len(table.header)
        # A row with more cells than the header may have shifted columns: not placed, but kept.
        frame["problem"] = [f"row has {table.ragged[line]} cells, the header {width}: columns may "
                            "have shifted" if table.ragged.get(line, 0) > width else ""
                            for line in frame["line"]]
        return frame, "xlsx" if kind == "xlsx" else "csv"
    text, _ = decode_text(data, filename)
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(
            exc, json.JSONDecodeError) else ""
        raise InputError(f"not valid JSON{where}: {exc}", file=filename,
                         expected="GeoJSON") from None
    return _geojson_points(document, filename, limits), "geojson"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _geojson_points(document, filename: str, limits: Limits) -> pd.DataFrame:
    if not isinstance(document, dict):
        raise InputError("GeoJSON must be an object", file=filename, expected="FeatureCollection")
    _check_crs(document.get("crs"), filename)
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise InputError("FeatureCollection has no 'features' list", file=filename)
    elif kind == "Feature":
        features = [document]
    elif kind in ("Point", "MultiPoint"):
        features = [{"type": "Feature", "geometry": document, "properties": {}}]
    else:
        raise InputError(f"GeoJSON type {kind!r} is not read", file=filename,
                         expected="FeatureCollection, Feature, Point or MultiPoint")
    if len(features) > limits.max_features:
        raise InputError(f"{len(features):,} features, more than the limit of "
                         f"{limits.max_features:,}", file=filename)
    if not features:
        raise InputError("GeoJSON has no features", file=filename)
    rows = []
    for index, feature in enumerate(features):
        rows += _feature_rows(feature, index + 1, limits)
    _refuse_projected(rows, filename)
    keys = list(dict.fromkeys(k for r in rows for k in r if k not in POINT_COLUMNS))
    frame = pd.DataFrame(rows, columns=POINT_COLUMNS + keys, dtype=object).fillna("")
    frame["line"] = frame["line"].astype("int64")
    return frame


def _check_crs(crs, filename: str) -> None:
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if isinstance(name, str) and name.strip().casefold() in _WGS84_CRS:
        return
    raise InputError(f"coordinates are in {name or json.dumps(crs)!s}, not WGS 84 longitude/"
                     "latitude; reproject the file to WGS 84 (EPSG:4326) first", file=filename,
                     column="crs")


def _feature_rows(feature, line: int, limits: Limits) -> list[dict]:
    if not isinstance(feature, dict):
        return [{"line": line, "part": "", "lon": "", "lat": "",
                 "problem": "not a GeoJSON Feature"}]
    properties = feature.get("properties")
    props = {}
    if isinstance(properties, dict):
        for key, value in properties.items():
            key = str(key)
            props[f"properties.{key}" if key in POINT_COLUMNS else key] = _property_text(value)
    geometry = feature.get("geometry")
    base = {"line": line, "part": "", "lon": "", "lat": "", "problem": ""} | props
    if not isinstance(geometry, dict):
        return [base | {"problem": "feature has no geometry"}]
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        points = [coordinates]
    elif kind == "MultiPoint" and isinstance(coordinates, list):
        if len(coordinates) > limits.max_vertices_per_feature:
            return [base | {"problem": f"MultiPoint has {len(coordinates):,} points, more than "
                                       f"the limit of {limits.max_vertices_per_feature:,}"}]
        if not coordinates:
            return [base | {"problem": "MultiPoint has no points"}]
        points = coordinates
    else:
        return [base | {"problem": f"{kind or 'unknown'} geometry: only Point and MultiPoint "
                                   "features are placed"}]
    rows = []
    for part, position in enumerate(points, start=1):
        row = base | {"part": str(part) if kind == "MultiPoint" else ""}
        lon, lat, problem = _position(position)
        rows.append(row | {"lon": lon, "lat": lat, "problem": problem})
    return rows


def _position(position) -> tuple[str, str, str]:
    if not isinstance(position, list) or len(position) < 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in position[:2]):
        return "", "", f"coordinates {json.dumps(position, ensure_ascii=False)[:80]} are not " \
                       "[longitude, latitude] numbers"
    # A third (height) value is ignored; numbers are kept as JSON wrote them (repr round-trips).
    lon, lat = _property_text(position[0]), _property_text(position[1])
    if not (-180 <= position[0] <= 180 and -90 <= position[1] <= 90):
        return lon, lat, f"({lon}, {lat}) is outside the longitude/latitude range"
    return lon, lat, ""


def _refuse_projected(rows: list[dict], filename: str) -> None:
    # Every coordinate out of the lon/lat range means metres of a projected system, not a few
    # bad points: say so for the file rather than listing every row.
    placed = [r for r in rows if r["lon"] != ""]
    if placed and all("outside the longitude/latitude range" in r["problem"] for r in placed):
        sample = placed[0]
        raise InputError("all coordinates are outside the longitude/latitude range: the file "
                         "looks projected (values in metres); reproject it to WGS 84 first",
                         file=filename, row=sample["line"],
                         found=f"{sample['lon']}, {sample['lat']}")


def _property_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)
