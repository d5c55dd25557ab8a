"""Program versions: a module added to the program applies to new learners and to cohorts
created after the change; a learner on their way keeps the version they started, and
each certificate names (and signs) the version it certifies."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.catalog.conftest import VALID
from tests.certificates.conftest import pass_module
from tests.certificates.test_pdf import text_of
from training.catalog import services as catalog
from training.catalog.models import Program
from training.certificates import pdf, signing
from training.certificates.models import Certificate
from training.cohorts import services as cohorts
from training.extensions import db
from training.progress import services as progress
from training.progress.models import ProgramCompletion


def _program_yaml(folder: Path, modules: str, hours: int) -> None:
    path = folder / "program.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("modules: [alfa, beta]", f"modules: [{modules}]")
    path.write_text(text.replace("hours: 3", f"hours: {hours}"), encoding="utf-8")


def _sync(folder: Path) -> None:
    catalog.sync(folder, item_checks="skip")
    db.session.commit()


@pytest.fixture
def content(app: Any, tmp_path: Path) -> Path:
    """Version 1 of the program holds module alfa only (1 hour)."""
    folder = tmp_path / "content"
    shutil.copytree(VALID, folder)
    _program_yaml(folder, "alfa", 1)
    _sync(folder)
    return folder


def _add_beta(folder: Path) -> None:
    """The change under test: module beta joins the program (version 2, 3 hours)."""
    shutil.copy(VALID / "program.yaml", folder / "program.yaml")
    _sync(folder)


def _certificates(user: Any) -> list[Certificate]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Certificate).where(Certificate.user_id == user.id)))


def _versions() -> list[tuple[int, list[str], bool]]:
    db.session.expire_all()
    return [
        (program.version, [m.slug for m in program.modules], program.current)
        for program in db.session.scalars(db.select(Program).order_by(Program.version))
    ]


def test_a_module_added_makes_a_new_version_and_keeps_the_old(content: Path) -> None:
    assert _versions() == [(1, ["alfa"], True)]
    _add_beta(content)
    assert _versions() == [(1, ["alfa"], False), (2, ["alfa", "beta"], True)]
    # A new description changes the current version in place, and nothing else.
    path = content / "program.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Dos módulos pequeños", "Módulos"),
        encoding="utf-8",
    )
    _sync(content)
    assert _versions() == [(1, ["alfa"], False), (2, ["alfa", "beta"], True)]
    current = db.session.scalars(db.select(Program).where(Program.version == 2)).one()
    assert current.description["es"].startswith("Módulos")


def test_a_learner_on_the_way_keeps_the_version_they_started(content: Path, learner: Any) -> None:
    progress.mark_lesson_read(learner, "alfa", 1)  # started under version 1
    db.session.commit()
    _add_beta(content)
    assert progress.program_view(learner).program.version == 1
    pass_module(learner, "alfa")
    (certificate,) = _certificates(learner)
    assert certificate.status == "valid" and certificate.program.version == 1
    assert [m["slug"] for m in certificate.modules] == ["alfa"] and certificate.hours == 1
    # Signed as before programs had versions: the payload has no version, and verifies.
    assert "program_version" not in signing.payload(certificate)
    assert signing.verify(certificate.code).status == "valid"


def test_a_new_learner_follows_the_new_version_and_its_certificate_says_so(
    content: Path, other_learner: Any
) -> None:
    _add_beta(content)
    pass_module(other_learner, "alfa")
    assert _certificates(other_learner) == []  # alfa alone no longer completes the program
    assert db.session.scalar(db.select(db.func.count(ProgramCompletion.id))) == 0
    pass_module(other_learner, "beta")
    (certificate,) = _certificates(other_learner)
    assert certificate.program.version == 2 and certificate.hours == 3
    assert signing.payload(certificate)["program_version"] == 2
    assert signing.verify(certificate.code).status == "valid"
    text = text_of(pdf.render(certificate))
    assert "(versión 2)" in text or "(version 2)" in text


def test_a_cohort_created_after_the_change_brings_its_members_to_the_new_version(
    content: Path, learner: Any, coordinator: Any
) -> None:
    old = cohorts.create(
        coordinator,
        name="Antes",
        program_slug="programa-prueba",
        starts_on="2026-01-01",
        deadline="2026-12-31",
    )
    cohorts.add_members(coordinator, old, user_ids=[learner.id])
    db.session.commit()
    _add_beta(content)
    assert progress.program_view(learner).program.version == 1
    new = cohorts.create(
        coordinator,
        name="Después",
        program_slug="programa-prueba",
        starts_on="2026-01-01",
        deadline="2026-12-31",
    )
    assert (old.program.version, new.program.version) == (1, 2)
    cohorts.add_members(coordinator, new, user_ids=[learner.id])
    db.session.commit()
    assert progress.program_view(learner).program.version == 2
    pass_module(learner, "alfa")
    assert _certificates(learner) == []  # version 2 also asks for beta


def test_the_verification_page_and_api_name_the_version(
    content: Path, other_learner: Any, client: Any
) -> None:
    _add_beta(content)
    pass_module(other_learner, "alfa")
    pass_module(other_learner, "beta")
    (certificate,) = _certificates(other_learner)
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "(versión 2)" in page
    data = client.get(f"/api/v1/verify/{certificate.code}").get_json()
    assert data["program_version"] == 2 and data["status"] == "valid"
