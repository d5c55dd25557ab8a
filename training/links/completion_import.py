"""Importing a provider's completion list (CSV) for an external course.

Rows are matched by e-mail within the importer's ministry (administrators: every
ministry); matched completions become verified, reviewed by the importer, except the
importer's own, which stays reported for another coordinator (separation of duties).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import select

from training import authz, csvfiles
from training.accounts.models import User
from training.audit import services as audit
from training.database import utcnow
from training.errors import ValidationFailed
from training.extensions import db
from training.links.cleaning import EARLIEST
from training.links.completions import record_completed
from training.links.courses import visible_course
from training.links.models import IMPORTED, REPORTED, VERIFIED, ExternalCompletion, ExternalCourse

IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 20000
EMAIL_COLUMNS = {
    "email",
    "e-mail",
    "e mail",
    "mail",
    "email address",
    "correo",
    "correo electronico",
    "correo-e",
    "courriel",
    "adresse electronique",
}
DATE_COLUMNS = {
    "completion date",
    "completed",
    "completed on",
    "completed_on",
    "date",
    "date completed",
    "fecha",
    "fecha de finalizacion",
    "fecha de conclusion",
    "date d'achevement",
}

MATCHED = "verified"
ALREADY = "already_verified"
NOT_FOUND = "not_found"
INVALID_ROW = "invalid"
DUPLICATE = "duplicate"
# The importer's own row: left waiting (reported) for another coordinator to verify.
OWN_PENDING = "own_pending"
RESULTS = (MATCHED, ALREADY, OWN_PENDING, NOT_FOUND, INVALID_ROW, DUPLICATE)
# New and changed completions are written this many rows at a time.
FLUSH_EVERY = 500


@dataclass
class ImportRow:
    line: int
    email: str
    result: str
    completion_id: int | None = None


@dataclass
class ImportReport:
    course: ExternalCourse
    rows: list[ImportRow] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for row in self.rows if row.result == result)

    @property
    def counts(self) -> dict[str, int]:
        return {result: self.count(result) for result in RESULTS}


def _header_key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return " ".join(plain.strip().lower().replace("_", " ").split())


def _parse_day(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for parse in (
        lambda v: date.fromisoformat(v[:10]),
        lambda v: datetime.strptime(v, "%d/%m/%Y").date(),
    ):
        try:
            day = parse(value)
        except ValueError:
            continue
        if EARLIEST <= day <= utcnow().date():
            return day
    return None


def _read_csv(stream: IO[bytes] | None) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    data = csvfiles.read_upload(stream, IMPORT_MAX_BYTES)
    table = csvfiles.read(data, max_bytes=IMPORT_MAX_BYTES, max_rows=IMPORT_MAX_ROWS)
    header = [_header_key(value) for value in table.header]
    return header, [(line, dict(zip(header, values, strict=False))) for line, values in table.rows]


def import_completions(actor: Any, course_id: Any, stream: IO[bytes] | None) -> ImportReport:
    """Mark as verified the completions listed in the provider's CSV (UTF-8, with or
    without BOM; comma, semicolon or tab separated; a header row with an e-mail column
    and optionally a completion date). Rows are matched by e-mail among the users of
    the importer's ministry (administrators: every ministry); every row is reported.

    Nobody verifies their own completion: the importer's own row is recorded as reported
    (``own_pending``) for another coordinator to review, and audited.
    Writes are flushed every ``FLUSH_EVERY`` rows, not row by row."""
    from training.accounts.users import normalize_email

    user = authz.require(actor, authz.Permission.manage_external_courses)
    course = visible_course(user, course_id, active_only=False)
    header, rows = _read_csv(stream)
    email_column = next((name for name in header if name in EMAIL_COLUMNS), None)
    if email_column is None:
        raise ValidationFailed(
            _("El archivo no tiene una columna de correo electrónico (email)."),
            details={"fields": {"file": [_("Falta la columna email.")]}},
        )
    date_column = next((name for name in header if name in DATE_COLUMNS), None)

    report = ImportReport(course)
    parsed: list[tuple[ImportRow, str | None, date | None]] = []
    seen: set[str] = set()
    for line, values in rows:
        raw_email = (values.get(email_column) or "").strip()
        row = ImportRow(line, raw_email[:254], INVALID_ROW)
        try:
            email = normalize_email(raw_email)
        except ValidationFailed:
            parsed.append((row, None, None))
            continue
        row.email = email
        if email in seen:
            row.result = DUPLICATE
            parsed.append((row, None, None))
            continue
        seen.add(email)
        day = _parse_day(values.get(date_column) or "") if date_column else None
        parsed.append((row, email, day))

    emails = [address for _row, address, _day in parsed if address]
    users: dict[str, User] = {}
    for chunk in _chunks(emails, 500):
        statement = authz.scoped(select(User).where(User.email.in_(chunk)), User, user)
        users.update({found.email: found for found in db.session.scalars(statement)})
    existing: dict[int, ExternalCompletion] = {}
    user_ids = [found.id for found in users.values()]
    for chunk_ids in _chunks(user_ids, 500):
        existing.update(
            {
                completion.user_id: completion
                for completion in db.session.scalars(
                    select(ExternalCompletion).where(
                        ExternalCompletion.course_id == course.id,
                        ExternalCompletion.user_id.in_(chunk_ids),
                    )
                )
            }
        )

    now = utcnow()
    written: list[tuple[ImportRow, ExternalCompletion]] = []
    own: ExternalCompletion | None = None
    for row, address, day in parsed:
        report.rows.append(row)
        if address is None:
            continue
        learner = users.get(address)
        if learner is None:
            row.result = NOT_FOUND
            continue
        completion = existing.get(learner.id)
        if completion is not None and completion.status == VERIFIED:
            row.result = ALREADY
            row.completion_id = completion.id
            continue
        if completion is None:
            completion = ExternalCompletion(
                course_id=course.id,
                user_id=learner.id,
                ministry_id=learner.ministry_id,
                source=IMPORTED,
                status=REPORTED,
                reported_at=now,
            )
            db.session.add(completion)
            completion.course = course
        completion.completed_on = day or completion.completed_on
        if learner.id == user.id:
            # Left as it is (or newly reported) for another coordinator to verify.
            own = completion
            completion.status = REPORTED
            row.result = OWN_PENDING
        else:
            completion.status = VERIFIED
            completion.reviewed_by_id = user.id
            completion.reviewed_at = now
            completion.review_note = None
            record_completed(completion)
            row.result = MATCHED
        written.append((row, completion))
        if len(written) % FLUSH_EVERY == 0:
            db.session.flush()
    db.session.flush()
    for row, completion in written:
        row.completion_id = completion.id
    if own is not None:
        audit.record(
            "external_completion.own_left_pending",
            actor=user,
            target=own,
            details={"course_id": course.id, "source": "import"},
        )
    audit.record(
        "external_completion.imported",
        actor=user,
        target=course,
        ministry_id=course.ministry_id or user.ministry_id,
        details={"rows": len(report.rows), **report.counts},
    )
    return report


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
