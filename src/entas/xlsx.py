"""A fast Excel (.xlsx) writer for long lists: the sheet XML is built column-wise by Polars, not cell by cell.

By-name lists run to a million rows for a province; cell-by-cell writers (openpyxl, xlsxwriter) manage a few
thousand rows a second here. An .xlsx file is a zip of XML parts (ECMA-376 / ISO 29500): this module writes
the minimal set -- content types, relationships, a workbook, a stylesheet with a bold header style, and one
worksheet per frame with inline strings, a frozen header row and, where asked, an autofilter over the data --
building each row's XML with vectorized string expressions. Numbers are written as numbers, text
XML-escaped (characters XML 1.0 forbids are dropped), nulls and non-finite numbers as empty cells.

Limits: no shared-string table (files are larger than Excel's own), fixed column widths from the header,
at most 1,048,575 data rows per sheet (Excel's limit; more is refused).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl

from entas.errors import EntasError

MAX_ROWS = 1_048_575
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')

__all__ = ["MAX_ROWS", "column_letter", "write_xlsx"]


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(name: str, dtype: pl.DataType) -> pl.Expr:
    """One cell's XML per row: a number, a boolean, or an inline string; ``<c/>`` for null."""
    column = pl.col(name)
    if dtype.is_numeric():
        finite = column.cast(pl.Float64).is_finite().fill_null(False)
        text = pl.concat_str([pl.lit("<c><v>"), column.cast(pl.Utf8), pl.lit("</v></c>")])
        return pl.when(finite).then(text).otherwise(pl.lit("<c/>"))
    if dtype == pl.Boolean:
        return pl.when(column.is_null()).then(pl.lit("<c/>")).otherwise(
            pl.concat_str([pl.lit('<c t="b"><v>'), column.cast(pl.Int8).cast(pl.Utf8), pl.lit("</v></c>")]))
    text = (column.cast(pl.Utf8).str.replace_all(_CONTROL, "").str.replace_all("&", "&amp;", literal=True)
            .str.replace_all("<", "&lt;", literal=True).str.replace_all(">", "&gt;", literal=True))
    return pl.when(text.is_null()).then(pl.lit("<c/>")).otherwise(pl.concat_str(
        [pl.lit('<c t="inlineStr"><is><t xml:space="preserve">'), text, pl.lit("</t></is></c>")]))


def _sheet_xml(frame: pl.DataFrame, *, filters: bool) -> str:
    if frame.height > MAX_ROWS:
        raise EntasError(f"{frame.height:,} rows exceed an Excel sheet's {MAX_ROWS:,}; split the list")
    header = "".join(f'<c t="inlineStr" s="1"><is><t>{escape(str(c))}</t></is></c>' for c in frame.columns)
    body = ""
    if frame.height and frame.width:
        rows = frame.select(pl.concat_str([pl.lit("<row>"), *(_cell(n, t) for n, t in frame.schema.items()),
                                           pl.lit("</row>")]).alias("xml"))
        body = "".join(rows["xml"].to_list())
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{min(40, max(10, len(c) + 4))}" customWidth="1"/>'
                   for i, c in enumerate(frame.columns))
    last = f"{column_letter(max(1, frame.width) - 1)}{frame.height + 1}"
    return (f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            + (f"<cols>{cols}</cols>" if cols else "") + f"<sheetData><row>{header}</row>{body}</sheetData>"
            + (f'<autoFilter ref="A1:{last}"/>' if filters else "") + "</worksheet>")


def write_xlsx(sheets: Mapping[str, pl.DataFrame], path: Path | str, *, filters: tuple[str, ...] = ()) -> None:
    """Write ``sheets`` (name -> frame, in order) to ``path``; the sheets named in ``filters`` get an
    autofilter. Every sheet has a bold, frozen header row."""
    names = list(sheets)
    if not names:
        raise EntasError("an Excel file needs at least one sheet")
    bad = [n for n in names if not n or len(n) > 31 or any(ch in n for ch in "[]:*?/\\")]
    if bad:
        raise EntasError(f"invalid Excel sheet name(s) {bad}: 1-31 characters, none of []:*?/\\")
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="{_TYPE}.worksheet+xml"/>'
                        for i in range(len(names)))
    defined = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">\'{escape(n)}\'!$A$1:$'
        f'{column_letter(max(1, sheets[n].width) - 1)}${sheets[n].height + 1}</definedName>'
        for i, n in enumerate(names) if n in filters)
    relationships = "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" '
                            f'Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(names)))
    parts = {
        "[Content_Types].xml": (
            f'{_HEAD}<Types xmlns="{_PKG}/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>{overrides}</Types>'),
        "_rels/.rels": (
            f'{_HEAD}<Relationships xmlns="{_PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            + "".join(f'<sheet name="{escape(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
            + "</sheets>" + (f"<definedNames>{defined}</definedNames>" if defined else "") + "</workbook>"),
        "xl/_rels/workbook.xml.rels": (
            f'{_HEAD}<Relationships xmlns="{_PKG}/relationships">{relationships}'
            f'<Relationship Id="rId{len(names) + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": _STYLES,
    }
    with zipfile.ZipFile(Path(path), "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        for i, name in enumerate(names):
            archive.writestr(f"xl/worksheets/sheet{i + 1}.xml", _sheet_xml(sheets[name], filters=name in filters))
