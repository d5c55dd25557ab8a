"""Every report runs a fixed number of SQL queries, whatever the number of learners: the
same count with 20 and with 200 learners on the ten shipped modules, and at most ten for
the completion report and its exports (the bench measures 5,000 learners)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select

from tests.catalog.conftest import SHIPPED
from tests.conftest import login
from tests.factories import create_post_for, create_user
from tests.reports.conftest import add_learners
from training.accounts.models import User
from training.catalog import services as catalog
from training.catalog.models import Program, Question
from training.certificates.models import Certificate
from training.cohorts.models import Cohort, CohortMember
from training.database import utcnow
from training.extensions import db
from training.progress.models import ModuleProgress, ProgramCompletion
from training.quizzes.models import Attempt, AttemptAnswer

REPORTS = {
    "completion": "/api/v1/reports/completion",
    "completion csv": "/api/v1/reports/completion?format=csv",
    "completion xlsx": "/api/v1/reports/completion?format=xlsx",
    "completion filtered": (
        "/api/v1/reports/completion?post={post}&cohort={cohort}&status=completed"
    ),
    "ministry page": "/coordination/reports",
    "ministry page 2": "/coordination/reports?page=2",
    "ministry page filtered": "/coordination/reports?post={post}&cohort={cohort}",
    "posts": "/api/v1/reports/posts",
    "modules": "/api/v1/reports/modules",
    "cohorts": "/api/v1/reports/cohorts",
    "external courses": "/api/v1/reports/external-courses?post={post}&cohort={cohort}",
    "overdue": "/api/v1/reports/overdue",
    "overdue csv": "/api/v1/reports/overdue?format=csv",
    "items": "/api/v1/reports/items",
    "items page": "/coordination/reports/items",
}
REGIONAL = {
    "regional": "/api/v1/reports/regional",
    "regional modules": "/api/v1/reports/regional/modules",
    "regional periods": "/api/v1/reports/regional/periods",
    "regional csv": "/api/v1/reports/regional?format=csv",
    "regional page": "/regional",
}
AT_MOST_TEN = {
    "completion",
    "completion csv",
    "completion xlsx",
    "completion filtered",
    "ministry page",
    "ministry page 2",
    "ministry page filtered",
}


def graduate_and_attempts(tag: str) -> None:
    """Give the learners of ``tag`` the rest of a realistic history, by bulk inserts: a
    graded attempt with answers for every module started, and for one in five a program
    completion and a certificate."""
    program = db.session.scalars(select(Program)).one()
    users = db.session.execute(
        select(User.id, User.ministry_id).where(User.email.like(f"%@{tag}.%"))
    ).all()
    questions: dict[int, list[int]] = {}
    for question_id, version_id in db.session.execute(
        select(Question.id, Question.module_version_id)
    ):
        questions.setdefault(version_id, []).append(question_id)
    progress = db.session.execute(
        select(
            ModuleProgress.user_id,
            ModuleProgress.module_id,
            ModuleProgress.module_version_id,
            ModuleProgress.best_score,
        ).where(ModuleProgress.user_id.in_([user_id for user_id, _m in users]))
    ).all()
    now = utcnow()
    attempts = [
        {
            "user_id": user_id,
            "ministry_id": users[0].ministry_id,
            "module_id": module_id,
            "module_version_id": version_id,
            "number": 1,
            "status": "submitted",
            "started_at": now,
            "submitted_at": now,
            "score": score,
            "passed": score >= 80,
        }
        for user_id, module_id, version_id, score in progress
    ]
    db.session.execute(insert(Attempt), attempts)
    created = db.session.execute(
        select(Attempt.id, Attempt.module_version_id, Attempt.user_id).where(
            Attempt.user_id.in_([user_id for user_id, _m in users])
        )
    ).all()
    answers = [
        {
            "attempt_id": attempt_id,
            "question_id": question_id,
            "choice_ids": [],
            "credit": float((attempt_id + question_id) % 2),
            "correct": bool((attempt_id + question_id) % 2),
            "saved_at": now,
        }
        for attempt_id, version_id, _user in created
        for question_id in questions[version_id][:5]
    ]
    for start in range(0, len(answers), 5000):
        db.session.execute(insert(AttemptAnswer), answers[start : start + 5000])
    graduates = [user_id for user_id, _m in users][::5]
    db.session.execute(
        insert(ProgramCompletion),
        [
            {
                "user_id": u,
                "ministry_id": users[0].ministry_id,
                "program_id": program.id,
                "completed_at": now,
            }
            for u in graduates
        ],
    )
    db.session.execute(
        insert(Certificate),
        [
            {
                "serial": f"GT-{tag}-{u:06d}",
                "code": uuid.uuid4().hex[:32],
                "user_id": u,
                "ministry_id": users[0].ministry_id,
                "program_id": program.id,
                "status": "valid",
                "holder_name": "x",
                "language": "es",
                "hours": 10,
                "modules": [],
                "subject_id": f"urn:uuid:{uuid.uuid4()}",
                "requested_at": now,
                "issued_at": now,
            }
            for u in graduates
        ],
    )
    db.session.commit()


def build(learners: int, tag: str, post: Any, cohort: Cohort) -> None:
    add_learners("GT", learners // 2, post=post, tag=tag)
    add_learners("GT", learners - learners // 2, tag=tag + "b")
    add_learners("MX", learners // 4, tag=tag + "mx")
    for suffix in ("", "b", "mx"):
        graduate_and_attempts(tag + suffix)
    members = db.session.scalars(
        select(User.id).where(
            User.email.like(f"%@{tag}.gt.%"), User.ministry_id == cohort.ministry_id
        )
    ).all()
    db.session.execute(
        insert(CohortMember), [{"cohort_id": cohort.id, "user_id": u} for u in members]
    )
    db.session.commit()


def test_reports_run_a_fixed_number_of_queries(
    app: Any, ministries: Any, count_queries: Any
) -> None:
    catalog.sync(SHIPPED, item_checks="error")
    db.session.commit()
    coordinator = create_user(roles=["coordinator", "learner"], ministry="GT")
    regional = create_user(roles=["regional"], ministry="CR")
    post = create_post_for("GT")
    cohort = Cohort(
        ministry_id=coordinator.ministry_id,
        program_id=db.session.scalars(select(Program.id)).one(),
        name="Grupo",
        starts_on=date.today() - timedelta(days=90),
        deadline=date.today() - timedelta(days=1),
    )
    db.session.add(cohort)
    db.session.commit()
    values = {"post": post.id, "cohort": cohort.id}
    coordination = app.test_client()
    login(coordination, coordinator)
    secretariat = app.test_client()
    login(secretariat, regional)

    def measure_all() -> dict[str, int]:
        counts = {
            name: count_queries(coordination, path.format(**values))
            for name, path in REPORTS.items()
        }
        counts.update({name: count_queries(secretariat, path) for name, path in REGIONAL.items()})
        return counts

    build(20, "small", post, cohort)
    small = measure_all()
    build(180, "large", post, cohort)
    large = measure_all()

    print("queries per report:", small)
    assert small == large
    assert all(small[name] <= 10 for name in AT_MOST_TEN), small
