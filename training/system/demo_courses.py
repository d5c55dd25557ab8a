"""Demo data for the external courses: IOM's virtual course (used by ``flask demo``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from training.catalog.models import Module
from training.database import utcnow
from training.extensions import db
from training.links.models import ExternalCourse, ExternalCourseCredit, ExternalCourseModule

IOM_URL = "https://www.ecampus.iom.int/"
IOM_COURSE = {
    "provider": "OIM / IOM",
    "title": {
        "es": "Curso virtual sobre trata de personas (OIM)",
        "en": "Virtual course on trafficking in persons (IOM)",
        "fr": "Cours virtuel sur la traite des personnes (OIM)",
    },
    "description": {
        "es": "Curso en línea de la Organización Internacional para las Migraciones en su "
        "campus virtual (e-Campus). Complementa los módulos del Manual.",
        "en": "Online course of the International Organization for Migration on its "
        "virtual campus (e-Campus). It complements the Manual's modules.",
        "fr": "Cours en ligne de l'Organisation internationale pour les migrations sur son "
        "campus virtuel (e-Campus). Il complète les modules du Manuel.",
    },
    "language": "es",
}
IOM_MODULES = ("conceptos", "identificacion")


def seed_demo_courses(*, credit_ministry_ids: Iterable[int] = ()) -> ExternalCourse:
    """IOM's virtual course, global, complementing the first modules when they are
    loaded, counted toward the program by the given ministries. Idempotent."""
    course = db.session.scalars(
        select(ExternalCourse).where(
            ExternalCourse.url == IOM_URL, ExternalCourse.ministry_id.is_(None)
        )
    ).first()
    if course is None:
        now = utcnow()
        course = ExternalCourse(
            ministry_id=None, url=IOM_URL, active=True, created_at=now, updated_at=now
        )
        for name, value in IOM_COURSE.items():
            setattr(course, name, value)
        db.session.add(course)
        db.session.flush()
    linked = {row.module_id for row in course.course_modules}
    for module in db.session.scalars(select(Module).where(Module.slug.in_(IOM_MODULES))):
        if module.id not in linked:
            course.course_modules.append(ExternalCourseModule(module_id=module.id))
    for ministry_id in credit_ministry_ids:
        if db.session.get(ExternalCourseCredit, (ministry_id, course.id)) is None:
            db.session.add(ExternalCourseCredit(ministry_id=ministry_id, course_id=course.id))
    db.session.flush()
    return course
