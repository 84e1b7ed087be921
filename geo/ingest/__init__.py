"""Users' own files ("bring your own data"), read without guessing.

    decoding   bytes -> records: content sniffing, strict decoding, CSV cells
    xlsx       .xlsx -> records: the visible active sheet, streamed, caps checked first
    header     records -> RawTable: header row, title rows, footnotes, ragged rows
    columns    which column is the province, the value, the date... (exact synonyms only)
    tables     RawTable -> per-province values or targets + a report line per input line
    points     point files: CSV, .xlsx or GeoJSON rows with longitude and latitude
"""
from .columns import ROLES, column_candidates, guess_columns
from .decoding import ENCODING_LABELS, Limits, decode_text
from .header import RawTable, read_table
from .points import POINT_COLUMNS, read_points
from .tables import (
           REPORT_COLUMNS,
           STATUSES,
           IngestResult,
           ingest_counts,
           ingest_targets,
           parse_as_of,
           parse_target_year,
           summary,
)

__all__ = ["ENCODING_LABELS", "POINT_COLUMNS", "REPORT_COLUMNS", "ROLES", "STATUSES", "IngestResult",
           "Limits", "RawTable", "column_candidates", "decode_text", "guess_columns",
           "ingest_counts", "ingest_targets", "parse_as_of", "parse_target_year", "read_points",
           "read_table", "summary"]
