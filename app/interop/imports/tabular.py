"""Reading spreadsheets people actually have: CSV in any common delimiter and encoding
(UTF-8 with or without BOM, Windows-1252), and XLSX. Ragged rows are evened out and said."""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from app.core.errors import FormErrors, Message
from app.core.i18n import N_

DELIMITERS = ",;\t|"


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list[str]]
    encoding: str = ""
    # The line of the file each row came from (blank lines are skipped but still counted),
    # so a report's "line 9" is line 9 in the seller's spreadsheet.
    lines: list[int] = field(default_factory=list)
    delimiter: str = ""
    warnings: list = field(default_factory=list)


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _clean(value) -> str:
    if value is None:
        return ""
    text = str(value).replace("\x00", "")
    return text.strip()


def read_csv(data: bytes) -> Sheet:
    text, encoding = _decode(data)
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: sample.split("\n", 1)[0].count(d) for d in DELIMITERS}
        delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        all_rows = [[_clean(c) for c in row] for row in reader]
    except csv.Error as exc:
        errors = FormErrors()
        errors.add("file", Message(N_("This CSV file cannot be read: %(why)s"), why=str(exc)[:200]))
        raise errors from None
    return _sheet(all_rows, encoding=encoding, delimiter=delimiter)


def read_xlsx(data: bytes) -> Sheet:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        all_rows = [[_clean(c) for c in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError, OSError) as exc:
        errors = FormErrors()
        errors.add(
            "file", Message(N_("This XLSX file cannot be read: %(why)s"), why=str(exc)[:200])
        )
        raise errors from None
    return _sheet(all_rows, encoding="xlsx")


def _sheet(all_rows: list[list[str]], **details) -> Sheet:
    numbered = [(i + 1, r) for i, r in enumerate(all_rows) if any(r)]
    rows = [r for _line, r in numbered]
    if not rows:
        errors = FormErrors()
        errors.add("file", N_("This file is empty."))
        raise errors
    headers = rows[0]
    width = len(headers)
    while width and not headers[width - 1]:
        width -= 1
    headers = headers[:width] or ["A"]
    width = len(headers)
    body = []
    ragged = 0
    for row in rows[1:]:
        if len(row) != width:
            ragged += 1
            row = (row + [""] * width)[:width]
        body.append(row)
    sheet = Sheet(
        headers=[h or f"#{i + 1}" for i, h in enumerate(headers)],
        rows=body,
        lines=[line for line, _row in numbered[1:]],
        **details,
    )
    if ragged:
        sheet.warnings.append(
            Message(
                N_("%(n)s rows did not have %(width)s cells: they were evened out."),
                n=ragged,
                width=width,
            )
        )
    return sheet


def read_table(data: bytes, filename: str) -> Sheet:
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        return read_xlsx(data)
    return read_csv(data)
