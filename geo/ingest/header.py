"""Records to a RawTable: find the header under title rows, set footnotes and blank lines aside.

`read_table` is the front of this package for tables: bytes in, a RawTable out, with every line
either a data row or listed in `skipped` with its kind.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from ..data.regions import clean_text
from ..errors import InputError
from .columns import guess_columns
from .decoding import Limits, csv_records, decode_text, sniff, sniff_delimiter
from .xlsx import xlsx_records


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
    notes: list[str] = field(default_factory=list)  # what was read (which sheet, and what not)

    def to_frame(self, line_column: str = "line") -> pd.DataFrame:
        """The data rows as strings, plus the file line of each row."""
        names = [f"{h} (column)" if h == line_column else h for h in self.header]
        frame = pd.DataFrame([cells for _, cells in self.rows], columns=names, dtype=object)
        frame.insert(0, line_column, [line for line, _ in self.rows])
        return frame



def read_table(data: bytes, filename: str, *, limits: Limits = Limits()) -> RawTable:
    """Read a CSV / tab-separated text file or the visible active sheet of an .xlsx workbook."""
    kind = sniff(data, filename, limits)
    if kind == "json":
        raise InputError("this is a JSON file, not a table; upload CSV or .xlsx", file=filename)
    if kind == "xlsx":
        records, sheet, notes = xlsx_records(data, filename, limits)
        table = _shape(records, filename, limits, encoding="xlsx", delimiter="", sheet=sheet)
        table.notes += notes
        return table
    text, encoding = decode_text(data, filename)
    delimiter = sniff_delimiter(text)
    records = csv_records(text, delimiter, filename, limits)
    return _shape(records, filename, limits, encoding=encoding, delimiter=delimiter)


# Possessive runs (*+): "注" and a long run of spaces without a colon was tried at every split of
# the spaces between the two \s* (quadratic); the runs' characters never overlap what follows them.
_FOOTNOTE = re.compile(r"^[*※#\s]*+(注|备注|说明|数据来源|资料来源|来源|出处|note|notes|source|sources)"
                       r"\s*+\d*+\s*+[:：]|^[*※#\s]*+注\s*+\d|^[*※]\s*+\S", re.IGNORECASE)


def _filled(cells: list[str], stop: int | None = None) -> int:
    """How many cells have content (counting stops at `stop`, when that is all one needs)."""
    n = 0
    for c in cells:
        # A cell holding only a zero-width space or a BOM is empty too.
        if c.strip() and (c.isascii() or clean_text(c)):
            n += 1
            if n == stop:
                break
    return n


def _shape(records: list[tuple[int, list[str]]], filename: str, limits: Limits, *,
           encoding: str, delimiter: str, sheet: str | None = None) -> RawTable:
    nonblank = [i for i, (_, cells) in enumerate(records) if _filled(cells)]
    if not nonblank:
        raise InputError("file has no cells with content", file=filename)
    header_at = _find_header(records, nonblank, filename)
    header_line, header_cells = records[header_at]
    skipped = [(line, "title" if _filled(cells) else "blank", _line_text(cells))
               for line, cells in records[:header_at]]
    body, more_skipped, _ = split_body(records[header_at + 1:])
    skipped += more_skipped
    if not body:
        raise InputError("file has a header row but no data rows", file=filename, row=header_line,
                         found=_line_text(header_cells))
    if len(body) > limits.max_rows:
        raise InputError(f"{len(body):,} data rows, more than the limit of {limits.max_rows:,}",
                         file=filename)
    header = _header_names(header_cells)
    rows, ragged = fit_rows(body, len(header), encoding)
    return RawTable(header, rows, encoding, delimiter, skipped, filename, header_line, ragged,
                    sheet)


def split_body(records, in_footnotes: bool = False):
    """Records under the header -> (data rows, skipped lines, in_footnotes after them).

    `in_footnotes` carries the state from the records before, for a file read in chunks.
    """
    body, skipped = [], []
    for line, cells in records:
        filled = _filled(cells, stop=2)  # blank, one cell (a footnote?) or a data row
        if not filled:
            skipped.append((line, "blank", ""))
        elif filled == 1 and (in_footnotes or _FOOTNOTE.match(clean_text(_line_text(cells)))):
            # Lines under a footnote ("1. 不含港澳台") continue it.
            in_footnotes = True
            skipped.append((line, "footnote", _line_text(cells)))
        else:
            body.append((line, cells))
    return body, skipped, in_footnotes


def fit_rows(body, width: int, encoding: str) -> tuple[list, dict[int, int]]:
    """Data rows cut or padded to `width` cells, and {line: cells found} of the ragged ones."""
    rows, ragged = [], {}
    for line, cells in body:
        if len(cells) == width:  # the common case, as it is
            rows.append((line, cells))
            continue
        cells = list(cells)
        while len(cells) > width and not clean_text(cells[-1]):
            cells.pop()  # a trailing delimiter on data rows only
        # xlsx rows come with trailing empty cells trimmed, so only a longer row is ragged there.
        if len(cells) > width or (len(cells) < width and encoding != "xlsx"):
            ragged[line] = len(cells)
        rows.append((line, (cells + [""] * width)[:width]))
    return rows, ragged


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


def _header_names(cells: list[str]) -> list[str]:
    # The header's own cells set the width: a data row with more cells is ragged (its columns may
    # have shifted), never a reason to invent a column.
    # Names stay as the user wrote them (full-width brackets and all), minus invisible characters.
    names = [_INVISIBLE.sub("", c).strip() for c in cells]
    # Columns after the last named one are the trace of a trailing delimiter, not data columns:
    # a row with content there is wider than its data (an unquoted "1,234" spilling over), so it
    # is flagged as ragged rather than read as one value short.
    while names and not names[-1]:
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

