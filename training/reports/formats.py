"""Export formats: a registry, so that a new format is one class (STYLE.md, habit 8).

A format turns a header and an iterable of rows into an iterator of byte chunks. The
rows are consumed lazily and never kept: memory stays bounded by a chunk of rows (the
services fetch :data:`training.reports.services.CHUNK_ROWS` at a time) plus one output
buffer, whatever the size of the export.

* :class:`CsvFormat`: RFC 4180 (comma, CRLF line ends, fields with a comma, a quote or a
  line break quoted, quotes doubled), UTF-8 with a byte order mark so that Excel reads
  the accents right.
* :class:`XlsxFormat`: an openpyxl write-only workbook, whose rows go to a temporary file
  as they come; the finished ZIP is then sent in chunks.

In both, a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is prefixed with an apostrophe, so that a spreadsheet shows it as text instead of
running it as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from flask import Response, stream_with_context
from flask_babel import gettext as _

from training.database import isoformat_z
from training.errors import ValidationFailed

FORMULA_STARTS = frozenset("=+-@\t\r")
# Characters XML 1.0 (and so XLSX) cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
OUTPUT_CHUNK_BYTES = 64 * 1024


def neutralise(value: str) -> str:
    """``value`` made safe for a spreadsheet: never read as a formula."""
    if value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def as_text(value: Any, yes: str = "yes", no: str = "no") -> str:
    """A cell's text: ISO 8601 for dates and instants (UTC with ``Z``), ``yes`` or ``no``
    for booleans, the value otherwise; nothing for no value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, datetime):
        return isoformat_z(value) or ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class ExportFormat:
    """One way of writing a table to a file. Subclasses set the class attributes and
    implement :meth:`chunks`, and register themselves with :func:`register`."""

    name: ClassVar[str]
    mimetype: ClassVar[str]
    extension: ClassVar[str]

    def chunks(
        self, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> Iterator[bytes]:
        raise NotImplementedError


FORMATS: dict[str, ExportFormat] = {}


def register(cls: type[ExportFormat]) -> type[ExportFormat]:
    FORMATS[cls.name] = cls()
    return cls


def names() -> list[str]:
    return sorted(FORMATS)


def get(name: str) -> ExportFormat:
    try:
        return FORMATS[name]
    except KeyError:
        raise ValidationFailed(
            details={"fields": {"format": [_("Formato no admitido.")]}}
        ) from None


@register
class CsvFormat(ExportFormat):
    name = "csv"
    mimetype = "text/csv; charset=utf-8"
    extension = "csv"

    # Rows written to the text buffer before it is encoded and sent.
    rows_per_chunk = 500

    def chunks(
        self, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        buffer.write("\ufeff")
        writer.writerow([neutralise(as_text(header)) for header in headers])
        yes, no = _("sí"), _("no")  # translated once, not once per cell
        cell = self.cell
        pending = 0
        for row in rows:
            writer.writerow([cell(value, yes, no) for value in row])
            pending += 1
            if pending >= self.rows_per_chunk:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
                pending = 0
        yield buffer.getvalue().encode("utf-8")

    @staticmethod
    def cell(value: Any, yes: str, no: str) -> str:
        kind = type(value)
        if kind is str:
            return neutralise(value)
        if kind is int or kind is float:
            return str(value)
        return neutralise(as_text(value, yes, no))


@register
class XlsxFormat(ExportFormat):
    name = "xlsx"
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    extension = "xlsx"

    def chunks(
        self, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> Iterator[bytes]:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=self.sheet_title(title))
        yes, no = _("sí"), _("no")  # translated once, not once per cell
        cell = self.cell
        sheet.append([cell(header, yes, no) for header in headers])
        for row in rows:
            sheet.append([cell(value, yes, no) for value in row])
        # The ZIP's central directory comes last: the file is complete before it can be
        # sent. It is written to disk, never held in memory.
        with tempfile.TemporaryFile() as handle:
            workbook.save(handle)
            handle.seek(0)
            while chunk := handle.read(OUTPUT_CHUNK_BYTES):
                yield chunk

    @staticmethod
    def sheet_title(title: str) -> str:
        clean = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Report"
        return clean[:31]

    @staticmethod
    def cell(value: Any, yes: str, no: str) -> Any:
        kind = type(value)
        if value is None or kind is int or kind is float:
            return value
        if isinstance(value, datetime):
            # Excel has no time zones: the instant in UTC, as the column header says.
            return value.astimezone(UTC).replace(tzinfo=None)
        if isinstance(value, date):
            return value
        return neutralise(_ILLEGAL_XML.sub("", as_text(value, yes, no)))


def response(
    format_name: str,
    filename: str,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> Response:
    """A streamed download of the table in the named format; never cached."""
    export = get(format_name)
    body = stream_with_context(export.chunks(title, headers, rows))
    result = Response(body, content_type=export.mimetype)
    result.headers["Content-Disposition"] = f'attachment; filename="{filename}.{export.extension}"'
    result.headers["Cache-Control"] = "no-store"
    result.headers["X-Content-Type-Options"] = "nosniff"
    return result
