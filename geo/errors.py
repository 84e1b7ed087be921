"""One error hierarchy. Messages name the file, row and column and say what was expected.

    GeoError             anything the library refuses on purpose
    ├── InputError       the user's mistake: a bad file, value or argument (CLI exit 2)
    │   └── regions.ProvinceNotFound
    ├── DataError        a bundled data file breaks its contract (a bug in the data)
    └── AssetError       a map element needs a browser library that is not served locally

Anything else that escapes is a bug and is reported as one.
"""
from __future__ import annotations


class GeoError(Exception):
    """Base of the errors the library raises on purpose, located as precisely as we can."""

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


class InputError(GeoError):
    """A problem with an input file, value or argument given by the user."""


class DataError(GeoError):
    """A bundled data file breaks its contract (missing source, bad key, ...)."""


class AssetError(GeoError):
    """A map element needs a browser library that is not served locally."""
