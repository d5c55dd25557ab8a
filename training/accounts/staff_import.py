"""Reading a staff CSV as coordinators produce it (Excel in Spanish writes ``;``).

Columns (a header row, names in any case): ``email``, ``full_name``, ``post``,
``language``, ``role``. ``post`` is the post's name or number in the ministry; ``language``
es, en or fr (default es); ``role`` learner, coordinator or issuer (default learner; several
separated by ``|``). UTF-8, with or without BOM. This module only reads and checks the
file; ``services.import_staff`` decides what to write.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _

COLUMNS = ("email", "full_name", "post", "language", "role")
REQUIRED = ("email", "full_name")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileProblem(Exception):
    """The file as a whole cannot be read; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    line: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)
    action: str = ""  # create, update or unchanged, once planned


def read(data: bytes) -> list[Row]:
    """Rows with their line numbers; raises FileProblem for what concerns the whole file."""
    if not data.strip():
        raise FileProblem(_("El archivo está vacío."))
    if len(data) > MAX_BYTES:
        raise FileProblem(
            _(
                "El archivo es demasiado grande: el máximo es %(mb)d MB.",
                mb=MAX_BYTES // (1024 * 1024),
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem(
            _("El archivo no está en UTF-8. En Excel, guárdelo como «CSV UTF-8».")
        ) from None
    if "\x00" in text:
        raise FileProblem(_("El archivo contiene caracteres no permitidos."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error):
        raise FileProblem(_("El archivo no tiene fila de encabezados.")) from None
    missing = [name for name in REQUIRED if name not in header]
    extra = [name for name in header if name and name not in COLUMNS]
    if missing or extra or len(set(header)) != len(header):
        raise FileProblem(
            _(
                "Los encabezados deben ser %(expected)s. Faltan: %(missing)s. Sobran: %(extra)s.",
                expected=", ".join(COLUMNS),
                missing=", ".join(missing) or "-",
                extra=", ".join(extra) or "-",
            )
        )
    rows: list[Row] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise FileProblem(_("El archivo tiene más de %(n)d filas.", n=MAX_ROWS))
            line = reader.line_num
            row = Row(
                line,
                {
                    name: (record[i].strip() if i < len(record) else "")
                    for i, name in enumerate(header)
                },
            )
            if len(record) > len(header):
                row.problems.append(_("La fila tiene más columnas que el encabezado."))
            for name, value in row.values.items():
                if value.startswith(FORMULA_STARTS):
                    row.problems.append(
                        _("La columna %(name)s empieza como una fórmula.", name=name)
                    )
            rows.append(row)
    except csv.Error as error:
        raise FileProblem(
            _(
                "El CSV está mal formado cerca de la línea %(line)d: %(error)s",
                line=reader.line_num,
                error=str(error),
            )
        ) from None
    if not rows:
        raise FileProblem(_("El archivo no tiene filas de datos."))
    return rows
