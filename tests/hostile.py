"""Hostile and broken inputs built in code, shared by the tests and bench/bench_hostile.py.

Workbooks are written part by part (not with openpyxl), so that they can be exactly as hostile
as a hand-made file: a hidden decoy sheet, one huge shared string used in many cells, a cell in
the last column of every row, tens of thousands of styles.
"""
from __future__ import annotations

import io
import json
import zipfile

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def row_xml(number: int, cells) -> str:
    """A worksheet row: int cells refer to shared strings, str cells are numbers as written."""
    out = []
    for column, value in zip("ABCDEFGHIJ", cells):
        if value is None:
            continue
        if isinstance(value, int):
            out.append(f'<c r="{column}{number}" t="s"><v>{value}</v></c>')
        else:
            out.append(f'<c r="{column}{number}"><v>{value}</v></c>')
    return f'<row r="{number}">{"".join(out)}</row>'


def workbook(sheets, shared=(), *, active: int = 0, styles: str | None = None) -> bytes:
    """An .xlsx from (title, state, rows XML) per sheet and a shared-string table."""
    n = len(sheets)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        # Content types as Excel writes them, so that other readers (openpyxl) open the file too.
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        overrides = [("/xl/workbook.xml", f"{kind}.sheet.main+xml"),
                     ("/xl/sharedStrings.xml", f"{kind}.sharedStrings+xml")]
        overrides += [(f"/xl/worksheets/sheet{i + 1}.xml", f"{kind}.worksheet+xml") for i in range(n)]
        if styles is not None:
            overrides.append(("/xl/styles.xml", f"{kind}.styles+xml"))
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/>' + "".join(
                f'<Override PartName="{part}" ContentType="{ctype}"/>' for part, ctype in overrides)
            + "</Types>"))
        z.writestr("_rels/.rels", f'<Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
                   f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><bookViews><workbookView activeTab="{active}"/>'
            '</bookViews><sheets>' + "".join(
                f'<sheet name="{t}" sheetId="{i + 1}" state="{s}" r:id="rId{i + 1}"/>'
                for i, (t, s, _) in enumerate(sheets)) + "</sheets></workbook>"))
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{_RELS}">' + "".join(
            f'<Relationship Id="rId{i + 1}" Type="{_DOC}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(n)) + f'<Relationship Id="rId{n + 1}" Type="{_DOC}/sharedStrings" '
            'Target="sharedStrings.xml"/>' + (f'<Relationship Id="rId{n + 2}" Type="{_DOC}/styles" '
                                              'Target="styles.xml"/>' if styles is not None else "")
            + '</Relationships>')
        for i, (_, _, rows) in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml",
                       f'<worksheet xmlns="{_MAIN}"><sheetData>{rows}</sheetData></worksheet>')
        # A string that starts with "<" is the XML of a string item (rich text runs).
        z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{_MAIN}">' + "".join(
            f"<si>{s}</si>" if s.startswith("<") else f"<si><t>{s}</t></si>" for s in shared)
            + "</sst>")
        if styles is not None:
            z.writestr("xl/styles.xml", styles)
    return buffer.getvalue()


HEADER = ["省份", "基站数", "日期", "北京", "上海"]  # shared strings 0-4


def decoy_workbook() -> bytes:
    """A hidden first sheet holding a decoy (北京 999), the visible active sheet (北京 5), and a
    third sheet."""
    head = row_xml(1, [0, 1, 2])
    return workbook([("decoy", "hidden", head + row_xml(2, [3, "999", "2024"])),
                     ("real", "visible", head + row_xml(2, [3, "5", "2024"])),
                     ("notes", "visible", head)], HEADER, active=1)


def huge_shared_string_workbook(chars: int = 40_000_000, cells: int = 200) -> bytes:
    """One shared string of `chars` characters used in `cells` cells (~45 KB zipped)."""
    rows = row_xml(1, [0, 1, 2]) + "".join(row_xml(r, [3, 5, "2024"]) for r in range(2, cells + 2))
    return workbook([("S", "visible", rows)], HEADER + ["x" * chars])


def wide_rows_workbook(rows: int = 300_000) -> bytes:
    """Every row has a blank cell in the last column (XFD): a reader that pads rows to their
    widest cell builds 16,384 cells per row."""
    body = row_xml(1, [0, 1, 2]) + "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>3</v></c><c r="B{r}"><v>5</v></c>'
        f'<c r="XFD{r}" t="inlineStr"><is><t xml:space="preserve"> </t></is></c></row>'
        for r in range(2, rows + 2))
    return workbook([("S", "visible", body)], HEADER)


def many_styles_workbook(styles: int = 500_000) -> bytes:
    """Half a million cell styles (a few hundred KB zipped)."""
    xml = (f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/></font></fonts>'
           '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
           '<borders count="1"><border/></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           f'<cellXfs count="{styles}">'
           + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"><alignment horizontal="left"/></xf>' * styles
           + "</cellXfs></styleSheet>")
    head = row_xml(1, [0, 1, 2])
    return workbook([("S", "visible", head + row_xml(2, [3, "5", "2024"]))], HEADER, styles=xml)


def geojson_with_distinct_keys(features: int = 30_000, keys_per_feature: int = 3) -> bytes:
    """Points whose features each carry their own property names (a 4 MB file with 90,000
    distinct keys: a frame of features x keys would be 20 GiB)."""
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.4, 39.9]},
         "properties": {f"k{i}_{j}": 1 for j in range(keys_per_feature)}}
        for i in range(features)]}).encode()
