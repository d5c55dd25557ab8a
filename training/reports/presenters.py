"""What each report looks like to programs and to people: the JSON item of a row (codes,
numbers, ISO dates) and the columns of its export (translated headers and values).

One :class:`Table` per report, built for a language, so that the API, the pages and the
exports can never disagree on a column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from training.reports import services

STATUS_LABELS: Mapping[Any, Any] = {
    services.NOT_STARTED: _l("Sin empezar"),
    services.IN_PROGRESS_STATUS: _l("En curso"),
    services.COMPLETED: _l("Completado"),
}
CERTIFICATE_LABELS: Mapping[Any, Any] = {
    "valid": _l("Válido"),
    "revoked": _l("Revocado"),
    "pending": _l("Pendiente de aprobación"),
}
YES_NO: Mapping[Any, Any] = {True: _l("sí"), False: _l("no")}


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    value: Callable[[Any], Any]
    # Translations of coded values (statuses, yes/no) for exports; JSON keeps the codes.
    labels: Mapping[Any, Any] | None = None

    def exporter(self) -> Callable[[Any], Any]:
        """The function giving this column's export value of a row, with its value labels
        translated once (not once per row)."""
        value = self.value
        if self.labels is None:
            return value
        labels = {key: str(label) for key, label in self.labels.items()}

        def labelled(row: Any) -> Any:
            raw = value(row)
            if isinstance(raw, str | bool) and raw in labels:
                return labels[raw]
            return raw

        return labelled


@dataclass(frozen=True)
class Table:
    name: str
    title: Any
    columns: tuple[Column, ...]

    def item(self, row: Any) -> dict[str, Any]:
        return {column.key: column.value(row) for column in self.columns}

    def headers(self) -> list[str]:
        return [str(column.label) for column in self.columns]

    def export_rows(self, rows: Iterable[Any]) -> Iterator[list[Any]]:
        exporters = [column.exporter() for column in self.columns]
        for row in rows:
            yield [export(row) for export in exporters]


def _get(name: str) -> Callable[[Any], Any]:
    return lambda row: getattr(row, name)


def completion(language: str) -> Table:
    return Table(
        "completion",
        _l("Avance por persona y módulo"),
        (
            Column("learner_id", _l("Id"), _get("learner_id")),
            Column("full_name", _l("Nombre"), _get("full_name")),
            Column("email", _l("Correo electrónico"), _get("email")),
            Column("post", _l("Puesto"), _get("post")),
            Column("inactive", _l("Cuenta desactivada"), _get("inactive"), YES_NO),
            Column("module", _l("Módulo (clave)"), lambda row: row.module.slug),
            Column("module_title", _l("Módulo"), lambda row: row.module.title_in(language)),
            Column("status", _l("Estado"), _get("status"), STATUS_LABELS),
            Column("best_score", _l("Mejor puntuación"), _get("best_score")),
            Column("completed_at", _l("Completado el (UTC)"), _get("completed_at")),
            Column("certificate_serial", _l("Certificado"), _get("certificate_serial")),
            Column(
                "certificate_status",
                _l("Estado del certificado"),
                _get("certificate_status"),
                CERTIFICATE_LABELS,
            ),
        ),
    )


def overdue(language: str) -> Table:
    return Table(
        "overdue",
        _l("Personas con retraso"),
        (
            Column("learner_id", _l("Id"), _get("learner_id")),
            Column("full_name", _l("Nombre"), _get("full_name")),
            Column("email", _l("Correo electrónico"), _get("email")),
            Column("post", _l("Puesto"), _get("post")),
            Column("inactive", _l("Cuenta desactivada"), _get("inactive"), YES_NO),
            Column("cohort_id", _l("Id del grupo"), _get("cohort_id")),
            Column("cohort", _l("Grupo"), _get("cohort")),
            Column("deadline", _l("Fecha límite"), _get("deadline")),
            Column("days_overdue", _l("Días de retraso"), _get("days_overdue")),
            Column("modules_completed", _l("Módulos completados"), _get("modules_completed")),
            Column("modules_total", _l("Módulos del programa"), _get("modules_total")),
        ),
    )


def modules(language: str) -> Table:
    return Table(
        "modules",
        _l("Avance por módulo"),
        (
            Column("module", _l("Módulo (clave)"), lambda row: row.module.slug),
            Column("title", _l("Módulo"), lambda row: row.module.title_in(language)),
            Column("learners", _l("Participantes"), _get("learners")),
            Column("not_started", _l("Sin empezar"), _get("not_started")),
            Column("in_progress", _l("En curso"), _get("in_progress")),
            Column("completed", _l("Completado"), _get("completed")),
            Column("completion_rate", _l("Tasa de finalización (%)"), _get("completion_rate")),
            Column("average_best_score", _l("Mejor puntuación media"), _get("average_best_score")),
        ),
    )


def external(language: str) -> Table:
    return Table(
        "external-courses",
        _l("Cursos externos"),
        (
            Column("course_id", _l("Id del curso"), _get("course_id")),
            Column("provider", _l("Proveedor"), _get("provider")),
            Column("title", _l("Curso"), lambda row: row.title_in(language)),
            Column(
                "counts_toward_program",
                _l("Cuenta para el programa"),
                _get("counts_toward_program"),
                YES_NO,
            ),
            Column("active", _l("Activo"), _get("active"), YES_NO),
            Column("learners", _l("Participantes"), _get("learners")),
            Column("verified", _l("Verificados"), _get("verified")),
            Column("reported", _l("Por revisar"), _get("reported")),
            Column("rejected", _l("Rechazados"), _get("rejected")),
            Column("not_reported", _l("Sin informar"), _get("not_reported")),
            Column("verified_rate", _l("Tasa de verificación (%)"), _get("verified_rate")),
        ),
    )


def posts(language: str) -> Table:
    return Table(
        "posts",
        _l("Avance por puesto"),
        (
            Column("post_id", _l("Id del puesto"), _get("post_id")),
            Column("post", _l("Puesto"), _get("post")),
            Column("learners", _l("Participantes"), _get("learners")),
            Column("inactive", _l("Cuentas desactivadas"), _get("inactive")),
            Column("started", _l("Han empezado"), _get("started")),
            Column("completed", _l("Programa completado"), _get("completed")),
            Column("certificates", _l("Certificados válidos"), _get("certificates")),
            Column("completion_rate", _l("Tasa de finalización (%)"), _get("completion_rate")),
        ),
    )


def cohorts(language: str) -> Table:
    return Table(
        "cohorts",
        _l("Avance por grupo"),
        (
            Column("cohort_id", _l("Id del grupo"), _get("cohort_id")),
            Column("name", _l("Grupo"), _get("name")),
            Column("program", _l("Programa"), _get("program")),
            Column("starts_on", _l("Inicio"), _get("starts_on")),
            Column("deadline", _l("Fecha límite"), _get("deadline")),
            Column("members", _l("Personas"), _get("members")),
            Column("completed", _l("Programa completado"), _get("completed")),
            Column("overdue", _l("Con retraso"), _get("overdue")),
            Column("completion_rate", _l("Tasa de finalización (%)"), _get("completion_rate")),
        ),
    )


def items(language: str) -> Table:
    return Table(
        "items",
        _l("Análisis de preguntas"),
        (
            Column("question", _l("Pregunta (clave)"), _get("question")),
            Column("module", _l("Módulo (clave)"), _get("module")),
            Column("version", _l("Versión"), _get("version")),
            Column("type", _l("Tipo"), _get("type")),
            Column("topic", _l("Tema"), _get("topic")),
            Column("text", _l("Pregunta"), lambda row: row.text_in(language)),
            Column("answers", _l("Respuestas"), _get("answers")),
            Column("facility", _l("Facilidad"), _get("facility")),
            Column("discrimination", _l("Discriminación"), _get("discrimination")),
            Column("review", _l("Revisar"), _get("review"), YES_NO),
        ),
    )


def regional_ministries(language: str) -> Table:
    return Table(
        "regional",
        _l("Cifras por ministerio"),
        (
            Column("ministry", _l("Ministerio (código)"), lambda row: row.ministry.code),
            Column("ministry_name", _l("Ministerio"), lambda row: row.ministry.name(language)),
            Column("staff", _l("Participantes"), _get("staff")),
            Column("started", _l("Han empezado"), _get("started")),
            Column("completed", _l("Programa completado"), _get("completed")),
            Column("certificates", _l("Certificados válidos"), _get("certificates")),
            Column("average_best_score", _l("Mejor puntuación media"), _get("average_best_score")),
            Column("start_rate", _l("Tasa de inicio (%)"), _get("start_rate")),
            Column("completion_rate", _l("Tasa de finalización (%)"), _get("completion_rate")),
        ),
    )


def regional_modules(language: str) -> Table:
    return Table(
        "regional-modules",
        _l("Cifras por ministerio y módulo"),
        (
            Column("ministry", _l("Ministerio (código)"), lambda row: row.ministry.code),
            Column("ministry_name", _l("Ministerio"), lambda row: row.ministry.name(language)),
            Column("module", _l("Módulo (clave)"), lambda row: row.module.slug),
            Column("module_title", _l("Módulo"), lambda row: row.module.title_in(language)),
            Column("staff", _l("Participantes"), lambda row: row.ministry.staff),
            Column("started", _l("Han empezado"), _get("started")),
            Column("completed", _l("Completado"), _get("completed")),
            Column("completion_rate", _l("Tasa de finalización (%)"), _get("completion_rate")),
            Column("average_best_score", _l("Mejor puntuación media"), _get("average_best_score")),
        ),
    )


def regional_periods(language: str) -> Table:
    return Table(
        "regional-periods",
        _l("Cifras por ministerio y mes"),
        (
            Column("ministry", _l("Ministerio (código)"), lambda row: row.ministry.code),
            Column("ministry_name", _l("Ministerio"), lambda row: row.ministry.name(language)),
            Column("period", _l("Mes"), _get("period")),
            Column("completed", _l("Programa completado"), _get("completed")),
            Column("certificates", _l("Certificados emitidos"), _get("certificates")),
        ),
    )


# --- The reports, by name ---------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """A report as the API, the pages' downloads and ``flask reports export`` know it:
    its table and where its rows come from. A ministry report reads its rows within a
    :class:`services.Scope` (exports read the streamed variant, when there is one); a
    regional report from the actor and the filters."""

    name: str
    table: Callable[[str], Table]
    rows: Callable[..., Iterable[Any]]
    regional: bool = False

    def rows_for(
        self, actor: Any, filters: services.Filters, ministry: Any = None
    ) -> tuple[Iterable[Any], str | None]:
        """The rows of the whole report and the ministry's code (None when regional);
        the checks of :func:`services.scope` (or the regional permission) apply."""
        if self.regional:
            return self.rows(actor, filters), None
        scope = services.scope(actor, filters, ministry)
        return self.rows(scope), scope.ministry.code


REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report("completion", completion, services.completion_stream),
        Report("overdue", overdue, services.overdue_stream),
        Report("posts", posts, services.post_summaries),
        Report("modules", modules, services.module_summaries),
        Report("cohorts", cohorts, services.cohort_summaries),
        Report("external-courses", external, services.external_summaries),
        Report("items", items, services.item_analysis),
        Report("regional", regional_ministries, services.regional_ministries, regional=True),
        Report("regional-modules", regional_modules, services.regional_modules, regional=True),
        Report("regional-periods", regional_periods, services.regional_periods, regional=True),
    )
}
