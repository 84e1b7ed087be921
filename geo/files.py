"""Reading users' files and writing outputs without losing anything.

* An input must be a regular file (not a directory, device or FIFO: `/dev/zero` would be read
  until memory runs out) and is read with a cap when one is given.
* An output never replaces an input (symlinks resolved), and is written to a temporary file in
  the same folder and renamed into place, so a write that fails half-way (a full disk) leaves
  the previous file as it was.
* A CSV written for people (a download, a report, assignments) has every text cell that a
  spreadsheet would run as a formula neutralised.
"""
from __future__ import annotations

import io
import os
import re
import stat
import tempfile
from pathlib import Path

import pandas as pd

from .errors import InputError


def check_input(path: str | Path, *, max_bytes: int | None = None) -> os.stat_result:
    """The file's status if it is a regular file (within `max_bytes` when given), else an
    InputError that names it and says why not (front ends call it before the work; a file read
    in pieces is checked with it instead of being read at once)."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise InputError(f"this is {kind}", file=str(path), expected="a regular file")
    if max_bytes is not None and info.st_size > max_bytes:
        raise InputError(f"file is {info.st_size:,} bytes, more than the limit of {max_bytes:,}",
                         file=str(path))
    return info


def read_input(path: str | Path, *, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file, or an InputError that names it and says why not."""
    path = Path(path)
    check_input(path, max_bytes=max_bytes)
    try:
        with path.open("rb") as f:
            return f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from None


def check_output(path: str | Path, *, inputs=()) -> Path:
    """The resolved target of an output path, or an InputError if writing there would replace
    one of `inputs` (symlinks resolved) or the path is a directory, device or FIFO. Front ends
    call it before the work, so a mistake is told in a second, not after a long computation."""
    path = Path(path)
    target = path.resolve()
    for source in inputs:
        if source is not None and Path(source).resolve() == target:
            raise InputError("the output would overwrite an input file", file=str(path),
                             expected="another output path")
    if target.exists() and not target.is_file():  # a directory, /dev/full, a FIFO...
        kind = "a directory" if target.is_dir() else "not a regular file"
        raise InputError(f"the output is {kind}", file=str(path), expected="a file path")
    if not target.parent.is_dir():
        raise InputError("the folder of the output does not exist", file=str(path))
    return target


def write_output(path: str | Path, data: str | bytes, *, inputs=()) -> None:
    """Write `data` to `path` atomically; refuse a path that is one of `inputs`."""
    target = check_output(path, inputs=inputs)
    try:
        atomic_write(target, data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise InputError(f"cannot write the file ({exc.strerror or exc}); nothing was changed",
                         file=str(path)) from None


def atomic_write(target: Path, payload: bytes) -> None:
    """Write to a temporary file in the target's folder, then rename it into place: the target
    is either as it was or complete, never half-written. Raises OSError (nothing changed)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        if target.exists():  # keep the permissions of the file we replace
            os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        else:
            os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it: done once, at import, before threads
    os.umask(mask)
    return mask


_UMASK = _read_umask()


# ----------------------------------------------------------------------------- CSV cells
# What a spreadsheet would run as a formula, at the start of a cell or of a line inside it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def neutralise_formula(cell):
    """Prefix text that Excel/LibreOffice would evaluate (=, +, -, @, tab, CR, LF) with a quote.

    A cell with line breaks is neutralised line by line, and its breaks become LF: the csv
    writer quotes a cell holding an LF but not one holding a bare CR, at which a spreadsheet
    program starts a new row (`8\r=1+1` would run `=1+1`); a reader that ignores the quotes
    still finds no line that starts a formula.
    """
    if not isinstance(cell, str):
        return cell
    if "\r" in cell or "\n" in cell:
        cell = "\n".join("'" + line if line.startswith(FORMULA_START) else line
                         for line in _LINE_BREAK.split(cell))
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _neutralised(values: pd.Series) -> pd.Series:
    """neutralise_formula over a column, vectorised where the column holds text (millions of
    assignment rows go through here)."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values
    try:  # a formula start, or a line break inside the cell after which a formula may start
        risky = (values.str.startswith(FORMULA_START, na=False)
                 | values.str.contains("[\r\n]", regex=True, na=False)).to_numpy(dtype=bool)
    except (AttributeError, TypeError):  # not a text column: one cell at a time, types kept
        return pd.Series([neutralise_formula(cell) for cell in values], index=values.index, dtype=object)
    if not risky.any():
        return values
    values = values.astype(object)
    values[risky] = [neutralise_formula(cell) for cell in values[risky]]
    return values


def frame_to_csv(frame: pd.DataFrame, *, header: bool = True) -> str:
    """Any table as CSV, text cells neutralised for spreadsheets (e.g. an ingestion report);
    `header=False` for the chunks after the first of a file written in chunks."""
    rows = frame.copy()
    for column in rows.columns:
        rows[column] = _neutralised(rows[column])
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False, header=header, lineterminator="\n")
    return buffer.getvalue()
