"""Loading content into the catalogue, and reading the catalogue.

:func:`sync` writes a :class:`~training.catalog.content.ContentBundle` in the caller's
transaction: it only adds (new modules, new versions, changed program) and moves each
module's current-version pointer, so that every attempt and certificate keeps pointing
at the version it was made on. Unchanged content writes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from training.catalog import markdown
from training.catalog.content import IMAGE_TYPES, ContentBundle, ModuleSource, Problem, load
from training.catalog.models import (
    Choice,
    ContentAsset,
    Lesson,
    Module,
    ModuleVersion,
    Program,
    ProgramModule,
    Question,
)
from training.database import utcnow
from training.errors import ValidationFailed
from training.extensions import db


class ContentInvalid(ValidationFailed):
    """The content has problems; ``problems`` lists them, located."""

    def __init__(self, problems: list[Problem]):
        super().__init__(
            f"{len(problems)} problem(s) in the content",
            details={"problems": [str(problem) for problem in problems]},
        )
        self.problems = problems


@dataclass
class SyncReport:
    created_modules: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    program_changed: bool = False
    # Item-writing findings reported as warnings (``item_checks="warn"``).
    warnings: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created_modules or self.new_versions or self.retired or self.program_changed
        )


def validate(root: Path, *, item_checks: str = "error") -> list[Problem]:
    """Every problem in the content under ``root``; it is ready to sync when none is an
    error. ``item_checks``: "error", "warn" or "skip" (see ``content.ITEM_CHECK_MODES``)."""
    return load(root, item_checks_mode=item_checks)[1]


def sync(root: Path, *, item_checks: str = "error") -> SyncReport:
    """Load the content under ``root`` into the catalogue (flushes; the caller commits).

    Raises :class:`ContentInvalid` without writing anything when any file has an error
    (warnings do not stop it).
    """
    bundle, problems = load(root, item_checks_mode=item_checks)
    if bundle is None:
        raise ContentInvalid(problems)
    report = sync_bundle(bundle)
    report.warnings = problems
    return report


def sync_bundle(bundle: ContentBundle) -> SyncReport:
    report = SyncReport()
    modules = {module.slug: module for module in db.session.scalars(db.select(Module))}
    for source in bundle.modules:
        module = modules.get(source.slug)
        if module is None:
            module = Module(slug=source.slug)
            db.session.add(module)
            modules[source.slug] = module
            report.created_modules.append(source.slug)
        version = (
            db.session.scalar(
                db.select(ModuleVersion).where(
                    ModuleVersion.module_id == module.id,
                    ModuleVersion.content_hash == source.content_hash,
                )
            )
            if module.id
            else None
        )
        if version is None:
            version = _new_version(module, source)
            report.new_versions.append(f"{source.slug} v{version.number}")
        elif module.current_version_id == version.id and module.active:
            report.unchanged.append(source.slug)
            continue
        if module.current_version_id != version.id:
            module.current_version = version
        if not module.active:
            module.active = True
    shipped = {source.slug for source in bundle.modules}
    for slug, module in modules.items():
        if slug not in shipped and module.active:
            module.active = False
            report.retired.append(slug)
    report.program_changed = _sync_program(bundle, modules)
    db.session.flush()
    return report


def _new_version(module: Module, source: ModuleSource) -> ModuleVersion:
    numbers = [version.number for version in module.versions] if module.id else []
    data, quiz = source.data, source.quiz
    image_urls = _store_images(source)

    def render(body: str) -> str:
        return markdown.render(body, image_url=lambda path: image_urls.get(path, ""))

    version = ModuleVersion(
        module=module,
        number=max(numbers, default=0) + 1,
        content_hash=source.content_hash,
        label=data["version"],
        position=data["order"],
        title=data["title"],
        summary=data["summary"],
        objectives=[dict(objective) for objective in data["objectives"]],
        prerequisites=list(data["prerequisites"]),
        topics=list(data["topics"]),
        estimated_minutes=data["estimated_minutes"],
        hours=data["hours"],
        job_aid_title=source.job_aid_title,
        job_aid_html={lang: render(body) for lang, body in source.job_aid_body.items()},
        pass_mark=quiz["pass_mark"],
        max_attempts=quiz["max_attempts"],
        time_limit_s=quiz["time_limit_minutes"] * 60 if quiz["time_limit_minutes"] else None,
        questions_per_attempt=quiz["questions_per_attempt"],
        review=quiz["review"],
        retake_requires_review=quiz["retake_requires_review"],
        retake_after_hours=quiz["retake_after_hours"],
        lessons=[
            Lesson(
                number=lesson.number,
                key=lesson.key,
                kind=lesson.kind,
                title=lesson.title,
                html={lang: render(body) for lang, body in lesson.body.items()},
                word_count={lang: len(body.split()) for lang, body in lesson.body.items()},
                objectives=list(lesson.objectives),
            )
            for lesson in source.lessons
        ],
        questions=[
            Question(
                key=question["id"],
                position=position,
                type=question["type"],
                topic=question["topic"],
                objective=question["objective"],
                text=question["text"],
                explanation=question["explanation"],
                scenario=_scenario(question),
                choices=[
                    Choice(
                        key=choice["id"],
                        position=choice_position,
                        correct=choice["correct"],
                        text=choice["text"],
                        feedback=choice["feedback"],
                    )
                    for choice_position, choice in enumerate(question.get("choices", []))
                ],
            )
            for position, question in enumerate(quiz["questions"])
        ],
    )
    db.session.add(version)
    db.session.flush()
    return version


def _scenario(question: dict[str, Any]) -> dict[str, Any] | None:
    """A scenario's steps as stored on its question (see training.quizzes.scenarios)."""
    if question["type"] != "scenario":
        return None
    return {"start": question["start"], "steps": question["steps"]}


def _store_images(source: ModuleSource) -> dict[str, str]:
    """Store each image once by its SHA-256; return the URL to use for each path."""
    urls = {}
    for path, data in source.images.items():
        digest = hashlib.sha256(data).hexdigest()
        suffix = PurePosixPath(path).suffix.lower()
        if db.session.get(ContentAsset, digest) is None:
            db.session.add(ContentAsset(sha256=digest, media_type=IMAGE_TYPES[suffix], data=data))
        urls[path] = f"/content/assets/{digest}{suffix}"
    return urls


def _requirements_changed(program: Program, data: dict[str, Any]) -> bool:
    """Whether ``program.yaml`` changes what a learner must do or what the certificate
    states (modules, their order, pass mark, hours); a new title or description does not."""
    return (
        [row.module.slug for row in program.program_modules] != list(data["modules"])
        or program.min_score != data["min_score"]
        or program.hours != data["hours"]
    )


def _sync_program(bundle: ContentBundle, modules: dict[str, Module]) -> bool:
    source = bundle.program
    data = source.data
    program = db.session.scalar(
        db.select(Program).where(Program.slug == data["slug"], Program.superseded_at.is_(None))
    )
    if program is not None and program.content_hash == source.content_hash:
        return False
    if program is None:
        program = Program(slug=data["slug"], version=1)
        db.session.add(program)
    elif _requirements_changed(program, data):
        # What it takes to earn the certificate changed: the old version stays for the
        # cohorts, learners and certificates that follow it (see Program).
        program.superseded_at = utcnow()
        db.session.flush()  # one current row per slug: retire the old one first
        program = Program(slug=data["slug"], version=program.version + 1)
        db.session.add(program)
    program.content_hash = source.content_hash
    program.title = data["title"]
    program.description = data["description"]
    program.min_score = data["min_score"]
    program.hours = data["hours"]
    program.updated_at = utcnow()
    program.program_modules = [
        ProgramModule(module=modules[slug], position=position)
        for position, slug in enumerate(data["modules"])
    ]
    return True
