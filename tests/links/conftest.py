"""Fixtures for the external course registry: courses of every scope, evidence files,
and an evidence folder of the test's own."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from training.extensions import db
from training.links import courses
from training.links.models import ExternalCourse

# The smallest files each type check accepts, and what it must refuse.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16

IOM_URL = "https://www.ecampus.iom.int/"


def course_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "provider": "OIM / IOM",
        "title": {"es": "Curso virtual sobre trata de personas (OIM)", "en": "IOM course"},
        "url": IOM_URL,
        "language": "es",
    }
    data.update(overrides)
    return data


def upload(data: bytes, filename: str = "certificado.pdf") -> dict[str, Any]:
    """Form fields for a multipart request with ``data`` as the evidence."""
    return {"evidence": (io.BytesIO(data), filename)}


def multipart(fields: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``client.post``: the multipart body encoded in memory
    (the test client would spool a large one to a temporary file it never closes)."""
    values = {
        name: FileStorage(stream=value[0], filename=value[1], content_type="application/pdf")
        if isinstance(value, tuple)
        else value
        for name, value in fields.items()
    }
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture(autouse=True)
def evidence_folder(app: Flask, tmp_path: Path) -> Path:
    """Evidence goes to the test's own folder, never to the real instance folder."""
    folder = tmp_path / "evidence"
    app.config["EVIDENCE_PATH"] = str(folder)
    return folder


def stored_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


@pytest.fixture
def gt_coordinator(make_user: Any) -> Any:
    return make_user(roles=["coordinator", "learner"], ministry="GT")


@pytest.fixture
def mx_coordinator(make_user: Any) -> Any:
    return make_user(roles=["coordinator", "learner"], ministry="MX")


@pytest.fixture
def global_course(admin: Any) -> ExternalCourse:
    """IOM's course, registered by an administrator: every ministry sees it."""
    course = courses.register(admin, course_data())
    db.session.commit()
    return course


@pytest.fixture
def gt_course(gt_coordinator: Any) -> ExternalCourse:
    course = courses.register(
        gt_coordinator,
        course_data(
            provider="Cancillería de Guatemala",
            title={"es": "Taller de Guatemala"},
            url="https://formacion.minex.gob.gt/taller",
        ),
    )
    db.session.commit()
    return course


@pytest.fixture
def mx_course(mx_coordinator: Any) -> ExternalCourse:
    course = courses.register(
        mx_coordinator,
        course_data(
            provider="SRE México",
            title={"es": "Curso de México"},
            url="https://formacion.sre.gob.mx/curso",
        ),
    )
    db.session.commit()
    return course
