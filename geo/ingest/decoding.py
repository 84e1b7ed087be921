"""Bytes to records: recognise the file by its content, decode strictly, split into cells.

Files are recognised by their content, never by extension, and nothing uploaded is handed to
GDAL: text is split with the csv module, workbooks are streamed by `xlsx` after checking the
zip's uncompressed size.
"""
from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass

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
    max_cell_chars: int = 32_767  # Excel's limit for one cell
    max_property_keys: int = 200  # GeoJSON: names of properties per feature, and in all
    # GeoJSON points x property names: a name missing from a feature costs nothing in the file
    # but a cell in the table, so cells are capped, not only bytes.
    max_cells: int = 5_000_000

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
            if codec == "utf-8":
                _refuse_mixed_encodings(data, filename)
            continue
        _refuse_control_characters(text, filename, codec)
        return text, codec
    tried = " or ".join(ENCODING_LABELS[c] for c in candidates)
    raise InputError(f"file is not valid text in {tried}", file=filename, expected="a CSV or tab-separated text file")


# Chinese text as UTF-8: every non-ASCII character a CJK ideograph or CJK/full-width punctuation.
# GBK bytes that happen to be valid UTF-8 decode to Latin, Cyrillic and the like, almost never
# to a line of ideographs, so such lines tell a UTF-8 file from a GBK one.
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
# Two scans of one character class each, not one pattern `[A]*[C][A]*`: that pattern backtracks
# over every split of a long line of ideographs that ends in another character (quadratic: a
# 480 KB file took a minute).
_CJK_CHAR = re.compile(f"[{_CJK}]")
_NOT_CJK_TEXT = re.compile(f"[^\\x00-\\x7f{_CJK}]")


def is_chinese_text(text: str) -> bool:
    """Every character ASCII or CJK, and at least one CJK (linear in the length of the text)."""
    return _NOT_CJK_TEXT.search(text) is None and _CJK_CHAR.search(text) is not None


def _refuse_mixed_encodings(data: bytes, filename: str) -> None:
    """A UTF-8 file with a line in another encoding (a GBK line pasted in) would come out
    garbled as GB18030: say which line it is instead."""
    bad, utf8_chinese = [], 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append((number, line))
            continue
        utf8_chinese += is_chinese_text(text.rstrip("\r"))
    if not bad or not utf8_chinese:
        return
    number, line = bad[0]
    try:
        reads_as = f"; it reads as {line.decode('gb18030').strip()[:60]!r} in GB18030"
    except UnicodeDecodeError:
        reads_as = ""
    more = f" (and {len(bad) - 1} more line(s))" if len(bad) > 1 else ""
    raise InputError(f"this line is not UTF-8{more} while {utf8_chinese} line(s) of Chinese text "
                     f"are: the file mixes two encodings{reads_as}; save the whole file in one "
                     "encoding (UTF-8)", file=filename, row=number)


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
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:  # a stray quote in a line cut out of a multi-line cell
            continue
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
    # The csv module refuses cells over 131,072 characters with an error that names no cell;
    # the whole file is capped in bytes already, so let it split any cell and check the length
    # here, where the row and column are known. (Raised, never lowered: it is process-wide.)
    if csv.field_size_limit() < limits.max_bytes + 1:
        csv.field_size_limit(limits.max_bytes + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            records.append((start, cells))
            check_record_caps(records, cells, filename, limits)
            start = reader.line_num + 1
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
    for position, cell in enumerate(cells, start=1):
        if len(cell) > limits.max_cell_chars:
            raise InputError(f"cell has {len(cell):,} characters, more than {limits.max_cell_chars:,} "
                             "(Excel's limit for a cell)", file=filename, row=records[-1][0],
                             column=f"column {position}")
