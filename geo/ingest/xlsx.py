"""Excel .xlsx workbooks to records: the visible active sheet, streamed, with caps checked first.

A workbook is a zip of XML parts. A general reader (openpyxl) builds an object per cell style
and pads every row to its widest cell, so a 124 KB workbook could take gigabytes before any cap
was reached. Here only what a table needs is read, part by part, with an incremental parser:

    workbook.xml        the sheets, which is active and which are hidden (a hidden first sheet
                        can hold a decoy: the sheet read is the active one, if it is visible)
    sharedStrings.xml   the text of the cells: each at most Excel's 32,767 characters
    styles.xml          only the number format of each cell style (percentages, dates)
    the sheet           row by row, cell by cell; only cells present are seen

The caps are checked before each piece of work: a part's size before it is unpacked, a string's
length before it is kept, the total text of the cells (a 40 MB string used in 200 cells) before
each cell is taken, a column's position before a row is built. Formulas are not evaluated: the
value Excel stored with them is read, as for any cell.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import ParseError, iterparse

from ..errors import InputError

# Excel's own limit: a workbook holds at most 64,000 cell formats.
MAX_CELL_FORMATS = 64_000
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL_STRICT = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


@dataclass(frozen=True)
class Sheet:
    name: str
    state: str  # visible, hidden or veryHidden
    part: str | None  # the sheet's XML part in the zip; None for a chart sheet


# A number in the workbook's XML: ASCII digits only, and short (str.isdigit accepts superscripts,
# which int() refuses, and int() refuses more than 4,300 digits): anything else is no number.
_WHOLE = re.compile(r"[0-9]{1,9}")


def _whole(text: str | None) -> int | None:
    return int(text) if text and _WHOLE.fullmatch(text) else None


def xlsx_records(data: bytes, filename: str, limits) -> tuple[list[tuple[int, list[str]]], str, list[str]]:
    """(records, the sheet read, notes) of the visible active sheet of a workbook.

    Records are (worksheet row number, cell texts) for the rows present in the file.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"not a readable zip/xlsx file ({exc})", file=filename) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise InputError("a zip archive that is not an Excel .xlsx workbook", file=filename)
    total = sum(i.file_size for i in infos)
    # Checked before anything is decompressed; zipfile stops at the declared size while reading.
    if total > limits.max_uncompressed_bytes or len(infos) > 10_000:
        raise InputError(f"workbook unpacks to {total:,} bytes in {len(infos)} parts, more than "
                         f"the limit of {limits.max_uncompressed_bytes:,} bytes", file=filename)
    book = _Book(archive, filename, limits)
    try:
        sheets, active, date1904 = book.sheets()
        chosen, notes = _choose(sheets, active, filename)
        records = book.rows(chosen.part, book.shared_strings(), book.cell_formats(), date1904)
    except (ParseError, zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, KeyError,
            RuntimeError, NotImplementedError) as exc:  # a damaged, encrypted or odd zip
        raise InputError(f"cannot read the workbook ({type(exc).__name__}: {exc})",
                         file=filename) from None
    return records, chosen.name, notes


def _choose(sheets: list[Sheet], active: int, filename: str) -> tuple[Sheet, list[str]]:
    """The sheet a person sees on opening the file, and notes that say which and what else."""
    tables = [s for s in sheets if s.part and s.state == "visible"]
    if not tables:
        raise InputError("workbook has no visible worksheet", file=filename)
    if 0 <= active < len(sheets) and sheets[active] in tables:
        chosen, why = sheets[active], "the active sheet"
    else:
        chosen, why = tables[0], "the first visible sheet"
    others = [f"{s.name!r}" + ("" if s.state == "visible" else f" ({s.state})")
              + ("" if s.part else " (a chart)") for s in sheets if s is not chosen]
    notes = [f"read sheet {chosen.name!r} ({why})"
             + (f"; other sheets, not read: {', '.join(others)}" if others else "")]
    return chosen, notes


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Book:
    def __init__(self, archive: zipfile.ZipFile, filename: str, limits):
        self.archive, self.filename, self.limits = archive, filename, limits
        self.names = {i.filename for i in archive.infolist()}

    def _parse(self, part: str, events=("end",)):
        with self.archive.open(part) as f:
            head = f.read(4096)
        # Workbook parts never declare a DTD; one that does wants entity expansion.
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise InputError(f"the workbook part {part} declares a DTD, which is not read",
                             file=self.filename)
        with self.archive.open(part) as f:
            yield from iterparse(f, events=events)

    def _relations(self, part: str) -> dict[str, str]:
        """Relationship id -> the part it points to, for `part`'s relationships file."""
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", name + ".rels")
        if rels not in self.names:
            return {}
        out = {}
        for _, element in self._parse(rels):
            if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
                target = element.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join(folder, target))
                out[element.get("Id", "")] = path
        return out

    def sheets(self) -> tuple[list[Sheet], int, bool]:
        """The sheets in tab order, the active tab's position and the 1904 date system flag."""
        relations = self._relations("xl/workbook.xml")
        sheets, active, date1904 = [], 0, False
        for _, element in self._parse("xl/workbook.xml"):
            tag = _local(element.tag)
            if tag == "sheet":
                part = relations.get(element.get(_REL) or element.get(_REL_STRICT) or "")
                is_table = part in self.names and "worksheets/" in part
                sheets.append(Sheet(element.get("name", "?"), element.get("state", "visible"),
                                    part if is_table else None))
            elif tag == "workbookView" and _whole(element.get("activeTab")) is not None:
                active = _whole(element.get("activeTab"))
            elif tag == "workbookPr":
                date1904 = element.get("date1904", "0").lower() in ("1", "true")
            if len(sheets) > 10_000:
                raise InputError("workbook lists more than 10,000 sheets", file=self.filename)
        return sheets, active, date1904

    def _workbook_part(self, suffix: str, default: str) -> str | None:
        """The part the workbook relates to whose name ends with `suffix` (or `default`)."""
        related = [p for p in self._relations("xl/workbook.xml").values() if p.endswith(suffix)]
        path = related[0] if related else default
        return path if path in self.names else None

    def shared_strings(self) -> list[str]:
        path = self._workbook_part("sharedStrings.xml", "xl/sharedStrings.xml")
        if path is None:
            return []
        strings: list[str] = []
        for _, element in self._parse(path):
            if _local(element.tag) != "si":
                continue
            text = _rich_text(element)
            if len(text) > self.limits.max_cell_chars:
                raise InputError(f"shared string {len(strings) + 1:,} has {len(text):,} characters, "
                                 f"more than {self.limits.max_cell_chars:,} (Excel's limit for a "
                                 "cell)", file=self.filename)
            strings.append(text)
            element.clear()
        return strings

    def cell_formats(self) -> list[str]:
        """Per cell style (the `s` of a cell): 'percent', 'date', 'time' or ''."""
        path = self._workbook_part("styles.xml", "xl/styles.xml")
        if path is None:
            return []
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

        codes = dict(BUILTIN_FORMATS)
        kinds, in_cell_xfs = [], False
        for event, element in self._parse(path, events=("start", "end")):
            tag = _local(element.tag)
            if tag == "cellXfs":
                in_cell_xfs = event == "start"
            elif event == "end" and tag == "numFmt":
                if _whole(element.get("numFmtId")) is not None:
                    codes[_whole(element.get("numFmtId"))] = element.get("formatCode", "")
            elif event == "end" and tag == "xf" and in_cell_xfs:
                number = element.get("numFmtId", "0")
                code = codes.get(_whole(number), "")
                kinds.append("percent" if "%" in code else "time" if is_timedelta_format(code)
                             else "date" if is_date_format(code) else "")
                if len(kinds) > MAX_CELL_FORMATS:
                    raise InputError(f"workbook has more than {MAX_CELL_FORMATS:,} cell formats, "
                                     "more than Excel allows", file=self.filename)
            if event == "end" and tag in ("xf", "numFmt", "font", "fill", "border"):
                element.clear()
        return kinds

    def rows(self, part: str, strings: list[str], formats: list[str],
             date1904: bool) -> list[tuple[int, list[str]]]:
        limits, filename = self.limits, self.filename
        records: list[tuple[int, list[str]]] = []
        cells: dict[int, str] = {}
        row_number, column, total = 0, 0, 0
        parent = None
        for event, element in self._parse(part, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if tag == "sheetData":
                    parent = element
                elif tag == "row":
                    number = element.get("r", "")
                    row_number = _whole(number) if _whole(number) is not None else row_number + 1
                    cells, column = {}, 0
                continue
            if tag == "c":
                ref = element.get("r")
                column = _column_number(ref) if ref else column + 1
                text = _cell_text(element, strings, formats, date1904)
                if len(text) > limits.max_cell_chars:
                    raise InputError(f"cell has {len(text):,} characters, more than "
                                     f"{limits.max_cell_chars:,} (Excel's limit for a cell)",
                                     file=filename, row=row_number, column=ref or f"column {column}")
                total += len(text)
                if total > limits.max_uncompressed_bytes:
                    raise InputError(f"the cells hold more than {limits.max_uncompressed_bytes:,} "
                                     "characters in all (a long text repeated in many cells?)",
                                     file=filename, row=row_number)
                if text.strip():
                    if column > limits.max_columns:
                        raise InputError(f"more than {limits.max_columns} columns", file=filename,
                                         row=row_number)
                    cells[column] = text
                element.clear()
            elif tag == "row":
                width = max(cells, default=0)
                records.append((row_number, [cells.get(i, "") for i in range(1, width + 1)]))
                if len(records) > limits.max_rows + 1_000:
                    raise InputError(f"more than {limits.max_rows:,} rows", file=filename)
                if parent is not None:
                    parent.clear()  # rows already read are not kept by the parser
        return records


def _column_number(ref: str) -> int:
    """'B3' -> 2, 'XFD1' -> 16384."""
    number = 0
    for ch in ref:
        if not ch.isalpha():
            break
        number = number * 26 + (ord(ch.upper()) - 64)
    if not 1 <= number <= 16_384:
        raise ValueError(f"cell reference {ref[:20]!r} is not a column of a worksheet")
    return number


def _cell_text(element, strings: list[str], formats: list[str], date1904: bool) -> str:
    kind = element.get("t", "n")
    value = None
    for child in element:
        name = _local(child.tag)
        if name == "v":
            value = child.text or ""
        elif name == "is":
            value = _rich_text(child)
    if value is None:
        return ""
    if kind == "s":
        index = int(value)
        if not 0 <= index < len(strings):
            raise ValueError(f"shared string {index} does not exist")
        return strings[index]
    if kind in ("str", "inlineStr", "e"):
        return value
    if kind == "b":
        return "TRUE" if value.strip() == "1" else "FALSE"
    if kind == "d":  # an ISO 8601 date stored as text
        return value[:10] if value.endswith("T00:00:00") or len(value) == 10 else value
    style = element.get("s", "0")
    fmt = formats[_whole(style)] if _whole(style) is not None and _whole(style) < len(formats) else ""
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return value
    if not number.is_finite():
        return value
    if fmt == "percent":
        # A cell formatted as a percentage stores 0.12 and shows 12%; keep what the user saw,
        # so that a count column can refuse it.
        return _decimal_text(number * 100) + "%"
    if fmt in ("date", "time"):
        return _excel_date(number, date1904, fmt) or _decimal_text(number)
    return _decimal_text(number)


def _rich_text(element) -> str:
    """The text of a string item: its own `t` and its runs' `t`; phonetic readings (`rPh`) of
    Japanese text are not part of it."""
    parts = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts += [t.text or "" for t in child if _local(t.tag) == "t"]
    return "".join(parts)


def _excel_date(serial: Decimal, date1904: bool, fmt: str) -> str | None:
    """ISO text of an Excel date or duration serial; None if it is not one."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    try:
        value = from_excel(float(serial), CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900,
                           timedelta=fmt == "time")
    except (ValueError, OverflowError):
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value) if value is not None else None


def _decimal_text(exact: Decimal) -> str:
    return format(exact.normalize(), "f")
