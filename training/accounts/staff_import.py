"""Reading a staff CSV as coordinators produce it (Excel in Spanish writes ``;``).

Columns (a header row, names in any case): ``email``, ``full_name``, ``post``,
``language``, ``role``. ``post`` is the post's name or number in the ministry; ``language``
es, en or fr (default es); ``role`` learner, coordinator or issuer (default learner; several
separated by ``|``). UTF-8, with or without BOM. This module only reads and checks the
file; ``services.import_staff`` decides what to write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from training import csvfiles
from training.csvfiles import CsvProblem

COLUMNS = ("email", "full_name", "post", "language", "role")
REQUIRED = ("email", "full_name")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# File-level problems (empty, too large, not UTF-8, malformed, wrong columns).
FileProblem = CsvProblem


@dataclass
class Row:
    line: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)
    action: str = ""  # create, update or unchanged, once planned


def read(data: bytes) -> list[Row]:
    """Rows with their line numbers; raises FileProblem for what concerns the whole file."""
    table = csvfiles.read(data, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    header = [name.lower() for name in table.header]
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
    for line, record in table.rows:
        row = Row(
            line,
            {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)},
        )
        if len(record) > len(header):
            row.problems.append(_("La fila tiene más columnas que el encabezado."))
        for name, value in row.values.items():
            if value.startswith(FORMULA_STARTS):
                row.problems.append(_("La columna %(name)s empieza como una fórmula.", name=name))
        rows.append(row)
    if not rows:
        raise FileProblem(_("El archivo no tiene filas de datos."))
    return rows
