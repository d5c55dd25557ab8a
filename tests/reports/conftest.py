"""Report fixtures: two ministries with posts, cohorts and learners at every stage.

Guatemala (the coordinator's ministry):

* ``ana`` (post A) completed the program, so she holds a certificate;
* ``beto`` (post A) read module alfa and failed its quiz: alfa in progress;
* ``carla`` (post B) has not started;
* ``dora`` (post B) completed module alfa, then was deactivated;
* ``eva`` (no post), whose name looks like a formula and holds a comma and quotes;
* the coordinator, who is a learner too and has not started.

Cohort "Taller vencido" (deadline passed) holds ana, beto and carla: beto and carla are
overdue. Cohort "Curso vigente" holds dora. Mexico has a post, a cohort and a learner who
completed module alfa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from tests.certificates.conftest import complete_program, program  # noqa: F401
from tests.content_helpers import synced_content  # noqa: F401
from tests.factories import create_cohort, create_post_for, create_user
from training.accounts.models import User, UserRole
from training.catalog.models import Module, ModuleVersion, Question
from training.cohorts.models import Cohort
from training.database import utcnow
from training.extensions import db
from training.ministries.models import Ministry, Post
from training.progress import services as progress
from training.progress.models import ModuleProgress
from training.quizzes import services as quizzes
from training.quizzes.models import Answer


def read_module(user: Any, slug: str) -> None:
    view = progress.module_view(user, slug)
    for lesson in view.version.lessons:
        progress.mark_lesson_read(user, slug, lesson.number)
    db.session.commit()


def take_quiz(user: Any, slug: str, right: set[str] | None = None) -> Any:
    """Start and submit an attempt, answering right the questions whose keys are in
    ``right`` (every question when None) and wrong the others."""
    attempt, _created = progress.start_attempt(user, slug)
    answers = []
    for item in attempt.items:
        question: Question = item.question
        if right is None or question.key in right:
            choices = [c.key for c in question.choices if c.correct]
        else:
            choices = [next(c.key for c in question.choices if not c.correct)]
        answers.append(Answer(question.key, tuple(choices)))
    quizzes.submit(user, attempt.id, answers)
    db.session.commit()
    return attempt


@dataclass
class World:
    coordinator: User
    ana: User
    beto: User
    carla: User
    dora: User
    eva: User
    mexican: User
    mexican_coordinator: User
    post_a: Post
    post_b: Post
    mexican_post: Post
    late_cohort: Cohort
    open_cohort: Cohort
    mexican_cohort: Cohort

    @property
    def guatemalans(self) -> list[User]:
        return [self.coordinator, self.ana, self.beto, self.carla, self.dora, self.eva]

    @property
    def people(self) -> list[User]:
        return [*self.guatemalans, self.mexican, self.mexican_coordinator]


@pytest.fixture
def world(coordinator: Any, program: Any) -> World:  # noqa: F811
    post_a = create_post_for("GT", name="Consulado General en Tapachula")
    post_b = create_post_for("GT", name="Embajada en México")
    mexican_post = create_post_for("MX", name="Consulado de México en San José")
    ana = create_user(full_name="Ana Xicará", post=post_a)
    beto = create_user(full_name="Beto Ajú", post=post_a)
    carla = create_user(full_name="Carla Tzul", post=post_b)
    dora = create_user(full_name="Dora Coyoy", post=post_b)
    eva = create_user(full_name='=SUM(1) Núñez, "Chepe"')
    mexican = create_user(ministry="MX", full_name="Mariana Mexicana", post=mexican_post)
    mexican_coordinator = create_user(
        ministry="MX", roles=["coordinator", "learner"], full_name="Manuel Coordinador"
    )

    complete_program(ana)
    read_module(beto, "alfa")
    take_quiz(beto, "alfa", right=set())
    read_module(dora, "alfa")
    take_quiz(dora, "alfa")
    dora.active = False
    read_module(mexican, "alfa")
    take_quiz(mexican, "alfa")

    today = date.today()
    late = create_cohort(
        coordinator,
        [ana, beto, carla],
        name="Taller vencido",
        starts_on=today - timedelta(days=60),
        deadline=today - timedelta(days=5),
    )
    current = create_cohort(
        coordinator,
        [dora],
        name="Curso vigente",
        starts_on=today,
        deadline=today + timedelta(days=30),
    )
    mexican_cohort = create_cohort(
        mexican_coordinator,
        [mexican],
        name="Taller de México",
        starts_on=today - timedelta(days=60),
        deadline=today - timedelta(days=5),
    )
    return World(
        coordinator,
        ana,
        beto,
        carla,
        dora,
        eva,
        mexican,
        mexican_coordinator,
        post_a,
        post_b,
        mexican_post,
        late,
        current,
        mexican_cohort,
    )


@pytest.fixture
def coordinator_get(app: Any, coordinator: Any, api_token: Any) -> Any:
    """GET as the Guatemalan coordinator, with a bearer token."""
    headers = api_token(coordinator)
    client = app.test_client()

    def get(path: str, **kwargs: Any) -> Any:
        return client.get(path, headers=headers, **kwargs)

    return get


def add_learners(code: str, count: int, *, post: Post | None = None, tag: str = "a") -> None:
    """``count`` learners of ministry ``code`` with progress on every module of the
    catalogue (a mix of completed, in progress and untouched), by bulk inserts."""
    ministry_id = db.session.scalar(select(Ministry.id).where(Ministry.code == code))
    versions = db.session.execute(
        select(ModuleVersion.id, ModuleVersion.module_id).join(
            Module, Module.current_version_id == ModuleVersion.id
        )
    ).all()
    now = utcnow()
    domain = f"{tag}.{code.lower()}.example.org"
    db.session.execute(
        insert(User),
        [
            {
                "email": f"masiva{n}@{domain}",
                "full_name": f"Persona Masiva {n}",
                "language": "es",
                "ministry_id": ministry_id,
                "post_id": post.id if post else None,
                "active": True,
                "auth_version": 1,
                "created_at": now,
            }
            for n in range(count)
        ],
    )
    ids = db.session.scalars(select(User.id).where(User.email.like(f"%@{domain}"))).all()
    db.session.execute(insert(UserRole), [{"user_id": n, "role": "learner"} for n in ids])
    rows = []
    for n in ids:
        for index, (version_id, module_id) in enumerate(versions):
            stage = (n + index) % 3
            if stage == 0:
                continue
            rows.append(
                {
                    "user_id": n,
                    "ministry_id": ministry_id,
                    "module_id": module_id,
                    "module_version_id": version_id,
                    "lessons_read": 1,
                    "best_score": 50 + (n * 7 + index) % 50,
                    "started_at": now - timedelta(days=10),
                    "passed_at": now - timedelta(days=1) if stage == 2 else None,
                    "completed_at": now - timedelta(days=1) if stage == 2 else None,
                }
            )
    for chunk in range(0, len(rows), 5000):
        db.session.execute(insert(ModuleProgress), rows[chunk : chunk + 5000])
    db.session.commit()
