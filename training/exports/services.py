"""Exports: ask for one, build it in the background, hand it only to whoever asked.

* :func:`request_export` checks the permission of the kind (the same one as the download
  it replaces), writes an :class:`Export` row and asks for ``exports.build`` after the
  commit.
* :func:`build` (the task) writes the file under ``EXPORTS_PATH`` through a temporary
  name and marks the row ready with a conditional UPDATE: a second run does nothing, two
  runs at once each write a file of their own and one of them wins the rename.
* :func:`get_for` answers only the user who asked (anyone else: 404, as if it did not
  exist), only while they still hold the permission (403 otherwise), and only until it
  expires (404 after). :func:`expire` (periodic) deletes expired files and rows.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from training import authz, background
from training.accounts.models import User
from training.database import utcnow
from training.errors import Conflict, DomainError, NotFound
from training.exports.models import FAILED, QUEUED, READY, Export
from training.extensions import db

BUILD_TASK = "exports.build"
_ID = re.compile(r"^[0-9a-f]{32}$")

Writer = Callable[[User, dict[str, Any], str, IO[bytes]], None]


@dataclass(frozen=True)
class Kind:
    """A download that may be prepared in the background. ``write(user, params,
    language, handle)`` writes the file for ``user`` (checking what the original
    download checks) and raises a domain error when it may not."""

    name: str
    permission: authz.Permission
    extension: str
    mimetype: str
    write: Writer


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def folder() -> Path:
    return Path(current_app.config["EXPORTS_PATH"])


def path_of(export: Export) -> Path:
    return folder() / f"{export.id}.{KINDS[export.kind].extension}"


def request_export(
    actor: Any, kind_name: str, params: dict[str, Any], filename: str, language: str
) -> Export:
    """An export of ``kind_name`` for the actor, built in the background after the
    commit. ``params`` (JSON) are the filters the builder needs."""
    kind = KINDS[kind_name]
    user = authz.require(actor, kind.permission)
    hours = float(current_app.config["EXPORT_LIFETIME_HOURS"])
    export = Export(
        id=secrets.token_hex(16),
        kind=kind.name,
        user_id=user.id,
        params=params,
        language=language,
        status=QUEUED,
        filename=f"{filename}.{kind.extension}",
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    db.session.add(export)
    db.session.flush()
    background.after_commit(BUILD_TASK, export.id)
    return export


def get_for(actor: Any, export_id: str) -> Export:
    """The actor's own export: 404 for an unknown, another user's or an expired one,
    403 when the actor no longer holds the permission of its kind."""
    user = authz.authenticated(actor)
    export = db.session.get(Export, export_id) if _ID.match(export_id or "") else None
    if export is None or export.user_id != user.id or export.kind not in KINDS:
        raise NotFound()
    authz.require(user, KINDS[export.kind].permission)
    if export.expires_at <= utcnow():
        raise NotFound(_("Esta descarga ha caducado. Pídala de nuevo."))
    return export


def ready_file(actor: Any, export_id: str) -> tuple[Export, Path]:
    """The actor's export and its file; 409 while it is being prepared or if it failed."""
    export = get_for(actor, export_id)
    if export.status != READY:
        raise Conflict(_("Esta descarga todavía no está lista."))
    path = path_of(export)
    if not path.is_file():
        raise NotFound()
    return export, path


def build(export_id: str) -> None:
    """The ``exports.build`` task: write the export's file, then mark it ready (or
    failed, with the reason, when the builder refuses). Idempotent."""
    export = db.session.get(Export, export_id)
    if export is None or export.status != QUEUED or export.kind not in KINDS:
        return
    user = db.session.get_one(User, export.user_id)
    target = path_of(export)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f"{export.id}.{secrets.token_hex(4)}.part")
    error: str | None = None
    try:
        with part.open("wb") as handle, force_locale(export.language):
            KINDS[export.kind].write(user, dict(export.params), export.language, handle)
        os.replace(part, target)
    except DomainError as refusal:
        error = refusal.message or type(refusal).__name__
    except DBAPIError:
        raise  # the database went away: the task is tried again
    except Exception:
        current_app.logger.exception("Export %s failed", export.id)
        error = "unexpected error"
    finally:
        part.unlink(missing_ok=True)
    db.session.execute(
        update(Export)
        .where(Export.id == export.id, Export.status == QUEUED)
        .values(
            status=FAILED if error else READY,
            error=(error or "")[:500] or None,
            size=None if error else target.stat().st_size,
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


def expire() -> int:
    """The periodic clean-up: delete expired exports and their files; how many."""
    expired = list(db.session.scalars(select(Export).where(Export.expires_at <= utcnow())))
    for export in expired:
        if export.kind in KINDS:
            path_of(export).unlink(missing_ok=True)
        db.session.delete(export)
    db.session.flush()
    return len(expired)
