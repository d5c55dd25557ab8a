"""The completion report as an XLSX file, written in the background (an export)."""

from __future__ import annotations

from typing import IO, Any

from training import authz
from training.accounts.models import User
from training.exports import services as exports
from training.reports import formats, presenters, schemas, services

COMPLETION_XLSX = "completion_xlsx"
# The filters a completion export keeps (as the request gave them).
COMPLETION_FILTERS = ("ministry", "cohort", "post", "status", "from", "to")


def _write_completion(user: User, params: dict[str, Any], language: str, handle: IO[bytes]) -> None:
    query = schemas.ReportCompletionQuerySchema().load(params)
    scope = services.scope(user, services.Filters.from_query(query), query.get("ministry"))
    table = presenters.completion(language)
    rows = table.export_rows(services.completion_stream(scope))
    for chunk in formats.get("xlsx").chunks(str(table.title), table.headers(), rows):
        handle.write(chunk)


exports.register(
    exports.Kind(
        COMPLETION_XLSX,
        authz.Permission.view_ministry_reports,
        "xlsx",
        formats.XlsxFormat.mimetype,
        _write_completion,
    )
)
