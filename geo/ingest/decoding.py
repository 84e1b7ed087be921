"""Bytes to records: recognise the file by its content, decode strictly, split into cells.

Files are recognised by their content, never by extension, and nothing uploaded is handed to
GDAL: text is split with the csv module, workbooks are read with openpyxl after checking the
zip's uncompressed size.
"""
from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from ..errors import InputError


@dataclass(frozen=True)
class Limits:
    """Caps on what one upload may contain; anything over a cap is refused with a message."""
    max_bytes: int = 5_000_000
    max_rows: int = 100_000
    max_columns: int = 200
    max_uncompressed_bytes: int = 50_000_000
    max_features: int = 100_000
    max_vertices_per_feature: int = 10_000

    @classmethod
    def uncapped(cls, max_bytes: int | None = None, max_rows: int | None = None) -> "Limits":
        """No caps but the ones given: for a user's own files on the command line, where the
        machine is theirs (the caps above protect a shared server from its visitors)."""
        unlimited = sys.maxsize
        return cls(max_bytes=unlimited if max_bytes is None else max_bytes,
                   max_rows=unlimited if max_rows is None else max_rows,
                   max_columns=unlimited, max_uncompressed_bytes=unlimited,
                   max_features=unlimited if max_rows is None else max_rows,
                   max_vertices_per_feature=unlimited)


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCODING_LABELS = {"utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16 with BOM", "utf-8": "UTF-8",
                   "gb18030": "GB18030 (includes GBK/GB2312)", "xlsx": "Excel workbook (.xlsx)"}



def sniff(data: bytes, filename: str, limits: Limits) -> str:
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


def sniff_delimiter(text: str) -> str:
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


def csv_records(text: str, delimiter: str, filename: str,
                 limits: Limits) -> list[tuple[int, list[str]]]:
    records, start = [], 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            records.append((start, cells))
            start = reader.line_num + 1
            check_record_caps(records, cells, filename, limits)
    except csv.Error as exc:
        raise InputError(f"cannot split the line into cells ({exc})", file=filename,
                         row=reader.line_num) from None
    return records


def check_record_caps(records: list, cells: list, filename: str, limits: Limits) -> None:
    if len(records) > limits.max_rows + 1_000:
        raise InputError(f"more than {limits.max_rows:,} rows", file=filename)
    if len(cells) > limits.max_columns and any(c.strip() for c in cells[limits.max_columns:]):
        raise InputError(f"more than {limits.max_columns} columns", file=filename,
                         row=records[-1][0])


def xlsx_records(data: bytes, filename: str,
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
            check_record_caps(records, cells, filename, limits)
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
