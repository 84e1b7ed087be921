"""Domain errors whose messages name the file, row and column and say what was expected."""
from __future__ import annotations


class InputError(ValueError):
    """A problem with an input file or value, located as precisely as we can."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, expected: str | None = None, found: object = None):
        self.file, self.row, self.column = file, row, column
        self.expected, self.found = expected, found
        where = ", ".join(part for part in (
            f"file {file}" if file else "",
            f"row {row}" if row is not None else "",
            f"column {column!r}" if column else "",
        ) if part)
        detail = message
        if expected:
            detail += f"; expected {expected}"
        if found is not None:
            detail += f", found {found!r}"
        super().__init__(f"{where}: {detail}" if where else detail)


class DataError(InputError):
    """A bundled data file breaks its contract (missing source, bad key, ...)."""
