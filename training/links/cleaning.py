"""What coordinators and learners type about external courses, checked: a course's
fields (provider, titles, URL, language, modules) and a completion's date and note.

Every check raises ValidationFailed naming the field, in the shape of the API's 422.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.urls import iri_to_uri

from training.catalog.models import Module
from training.config import LANGUAGES
from training.database import utcnow
from training.errors import ValidationFailed
from training.extensions import db

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
PROVIDER_MAX = 120
URL_MAX = 2000
MODULES_MAX = 50


def field_error(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(details={"fields": {name: [message]}})


def clean_url(value: Any) -> str:
    """An absolute ``https`` URL with a host and no credentials, as an ASCII URI."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise field_error("url", _("Indique la dirección del curso."))
    if any(unicodedata.category(ch).startswith("C") or ch.isspace() for ch in text):
        raise field_error("url", _("La dirección no puede contener espacios."))
    try:
        uri = iri_to_uri(text)
        parts = urlsplit(uri)
        if parts.port == 0:
            raise ValueError("port 0")
    except ValueError:
        raise field_error("url", _("La dirección no es válida.")) from None
    if parts.scheme.lower() != "https":
        raise field_error("url", _("La dirección debe empezar por https://."))
    host = parts.hostname or ""
    if "@" in parts.netloc or "\\" in uri or "." not in host or host.endswith("."):
        raise field_error("url", _("La dirección no es válida."))
    if len(uri) > URL_MAX:
        raise field_error("url", _("La dirección es demasiado larga."))
    return uri


def _clean_texts(name: str, value: Any, *, required: bool, limit: int) -> dict[str, str]:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise field_error(name, _("Indique el texto en cada idioma."))
    texts: dict[str, str] = {}
    problems: dict[str, list[str]] = {}
    for language, text in value.items():
        if language not in LANGUAGES:
            problems.setdefault(f"{name}.{language}", []).append(_("Idioma desconocido."))
            continue
        cleaned = " ".join(str(text or "").split()) if name != "description" else str(text or "")
        cleaned = cleaned.strip()
        if len(cleaned) > limit:
            problems.setdefault(f"{name}.{language}", []).append(
                _("Como máximo %(limit)d caracteres.", limit=limit)
            )
        elif cleaned:
            texts[language] = cleaned
    if required and "es" not in texts:
        problems.setdefault(f"{name}.es", []).append(_("El texto en español es obligatorio."))
    if problems:
        raise ValidationFailed(details={"fields": problems})
    return texts


def _clean_provider(value: Any) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise field_error("provider", _("Indique quién ofrece el curso."))
    if len(text) > PROVIDER_MAX:
        raise field_error("provider", _("Como máximo %(limit)d caracteres.", limit=PROVIDER_MAX))
    return text


def _clean_language(value: Any) -> str:
    if value not in LANGUAGES:
        raise field_error("language", _("Elija español, inglés o francés."))
    return str(value)


def _modules(slugs: Any) -> list[Module]:
    if slugs is None:
        return []
    if not isinstance(slugs, list | tuple) or len(slugs) > MODULES_MAX:
        raise field_error("modules", _("La lista de módulos no es válida."))
    wanted = list(dict.fromkeys(str(slug) for slug in slugs))
    found = {
        module.slug: module
        for module in db.session.scalars(
            select(Module).where(Module.slug.in_(wanted), Module.active.is_(True))
        )
    }
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise field_error(
            "modules", _("No existen estos módulos: %(slugs)s", slugs=", ".join(unknown)[:200])
        )
    return [found[slug] for slug in wanted]


def clean_course(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """The course fields present in ``data``, checked; ValidationFailed lists every
    problem by field."""
    cleaners: dict[str, Callable[[Any], Any]] = {
        "provider": _clean_provider,
        "title": lambda v: _clean_texts("title", v, required=True, limit=TITLE_MAX),
        "description": lambda v: _clean_texts(
            "description", v, required=False, limit=DESCRIPTION_MAX
        ),
        "url": clean_url,
        "language": _clean_language,
        "modules": _modules,
    }
    cleaned: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name, cleaner in cleaners.items():
        if name not in data:
            if not partial and name in {"provider", "title", "url", "language"}:
                problems.setdefault(name, []).append(_("Este dato es obligatorio."))
            continue
        try:
            cleaned[name] = cleaner(data[name])
        except ValidationFailed as error:
            for key, messages in error.details.get("fields", {}).items():
                problems.setdefault(key, []).extend(messages)
    if "counts_toward_program" in data:
        cleaned["counts_toward_program"] = bool(data["counts_toward_program"])
    if "active" in data:
        cleaned["active"] = bool(data["active"])
    if problems:
        raise ValidationFailed(details={"fields": problems})
    return cleaned


NOTE_MAX = 1000
EARLIEST = date(2000, 1, 1)


def clean_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise field_error("completed_on", _("Use el formato AAAA-MM-DD.")) from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise field_error("completed_on", _("Use el formato AAAA-MM-DD."))
    if value > utcnow().date() or value < EARLIEST:
        raise field_error("completed_on", _("La fecha no es posible."))
    return value


def clean_note(value: Any, limit: int = NOTE_MAX) -> str | None:
    text = str(value or "").strip()
    if len(text) > limit:
        raise field_error("note", _("Como máximo %(limit)d caracteres.", limit=limit))
    return text or None
