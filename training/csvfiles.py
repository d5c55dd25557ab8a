"""Reading the CSV files coordinators upload: staff lists, cohort members, a provider's
list of completions. One reader, so that every upload accepts the same files (UTF-8 with
or without BOM; comma, semicolon as Excel writes in Spanish locales, or tab) and refuses
the same problems with the same messages. What the columns mean is each caller's affair.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import IO

from flask_babel import gettext as _

from training.errors import Invalid

DELIMITERS = ";,\t"


class CsvProblem(Invalid):
    """The file as a whole cannot be read (400; 413 when it is too large). The message
    says why, and is also the ``file`` field's error."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message, details={"fields": {"file": [message]}})
        if too_large:
            self.status = 413
            self.code = "too_large"


@dataclass(frozen=True)
class CsvTable:
    """The header as written (cells stripped) and each non-blank row with the line it
    ends on, for messages a coordinator can find in their spreadsheet."""

    header: list[str]
    rows: list[tuple[int, list[str]]]


def read_upload(stream: IO[bytes] | None, max_bytes: int) -> bytes:
    """An uploaded file's bytes, reading at most one byte more than ``max_bytes``."""
    if stream is None:
        raise CsvProblem(_("Adjunte el archivo CSV."))
    return stream.read(max_bytes + 1)


def _too_large(max_bytes: int) -> CsvProblem:
    megabytes = f"{max_bytes / (1024 * 1024):g}"
    return CsvProblem(
        _("El archivo es demasiado grande: el máximo es %(megabytes)s MB.", megabytes=megabytes),
        too_large=True,
    )


def decode(data: bytes, *, max_bytes: int) -> str:
    """The text of an uploaded file; raises :class:`CsvProblem` when it is too large,
    not UTF-8, not text, or holds nothing but blanks (a BOM alone is an empty sheet)."""
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvProblem(
            _("El archivo no está en UTF-8. En Excel, guárdelo como «CSV UTF-8».")
        ) from None
    if "\x00" in text:
        raise CsvProblem(_("El archivo no es un CSV de texto: contiene caracteres no permitidos."))
    if not text.strip():
        raise CsvProblem(_("El archivo está vacío."))
    return text


def read(data: bytes, *, max_bytes: int, max_rows: int) -> CsvTable:
    """The table in ``data``; raises :class:`CsvProblem` for what concerns the whole
    file: empty, too large, not UTF-8, not text, malformed, too many rows."""
    text = decode(data, max_bytes=max_bytes)
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip() for cell in record]
                continue
            if len(rows) >= max_rows:
                raise CsvProblem(_("El archivo tiene más de %(n)d filas.", n=max_rows))
            rows.append((reader.line_num, record))
    except csv.Error:
        raise CsvProblem(
            _("El CSV está mal formado cerca de la línea %(line)d.", line=reader.line_num)
        ) from None
    return CsvTable(header or [], rows)
