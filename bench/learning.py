"""Learner pages under load, next to a bare Flask endpoint served the same way.

    .venv/bin/python bench/learning.py [--learners 10000] [--requests 400] [--concurrency 8]

Builds a database (SQLite in a temporary folder, or BENCH_DATABASE_URL) with the shipped
curriculum and N learners with realistic progress (lessons read, attempts, events), starts
gunicorn with 2 workers for the application and for a bare Flask app, signs in a few
learners, and prints for each learner page the median server time (Server-Timing), the
median client time, requests per second and the ratio to the bare endpoint.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

from common import (
    PASSWORD,
    app_env,
    gunicorn,
    measure_baseline,
    measure_pages,
    seeded,
    sign_in,
    table,
    temporary_database,
)


def populate(url: str, learners: int) -> tuple[list[str], int]:
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from training import create_app
    from training.accounts.models import User, UserRole
    from training.accounts.passwords import hash_password
    from training.catalog import services as catalog
    from training.catalog.models import Lesson, Module, ModuleVersion
    from training.database import utcnow
    from training.extensions import db
    from training.ministries.models import Ministry
    from training.ministries.services import seed_ministries
    from training.progress.models import LearningEvent, LessonProgress, ModuleProgress
    from training.quizzes.models import Attempt

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    random = seeded()
    with app.app_context():
        upgrade()
        seed_ministries()
        catalog.sync(Path(app.root_path).parent / "content" / "manual_modules")
        db.session.commit()
        ministries = db.session.scalars(select(Ministry.id)).all()
        versions = db.session.scalars(
            select(ModuleVersion)
            .join(Module, Module.current_version_id == ModuleVersion.id)
            .order_by(ModuleVersion.position)
        ).all()
        lessons = {
            v.id: db.session.scalars(
                select(Lesson.id).where(Lesson.module_version_id == v.id).order_by(Lesson.number)
            ).all()
            for v in versions
        }
        password_hash = hash_password(PASSWORD)
        now = utcnow()
        users, roles = [], []
        for n in range(1, learners + 1):
            users.append(
                {
                    "id": n,
                    "email": f"learner{n}@bench.example.org",
                    "full_name": f"Learner {n}",
                    "language": "es",
                    "ministry_id": random.choice(ministries),
                    "password_hash": password_hash,
                    "active": True,
                    "auth_version": 1,
                    "created_at": now,
                }
            )
            roles.append({"user_id": n, "role": "learner"})
        db.session.execute(insert(User), users)
        db.session.execute(insert(UserRole), roles)
        progress, reads, attempts, events = [], [], [], []
        attempt_id = 0
        for user in users:
            started = random.choices(
                range(len(versions) + 1), weights=[3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 3]
            )[0]
            for index, version in enumerate(versions[:started]):
                done = index < started - 1 or random.random() < 0.5
                when = now - timedelta(days=random.randint(1, 300))
                tries = random.randint(1, 3)
                best = random.randint(80, 100) if done else random.randint(30, 79)
                progress.append(
                    {
                        "user_id": user["id"],
                        "ministry_id": user["ministry_id"],
                        "module_id": version.module_id,
                        "module_version_id": version.id,
                        "lessons_read": len(lessons[version.id]),
                        "best_score": best,
                        "started_at": when,
                        "passed_at": when if done else None,
                        "completed_at": when if done else None,
                    }
                )
                for lesson_id in lessons[version.id]:
                    reads.append(
                        {
                            "user_id": user["id"],
                            "lesson_id": lesson_id,
                            "module_version_id": version.id,
                            "read_at": when,
                        }
                    )
                    events.append(
                        {
                            "statement_id": f"{user['id']}-{lesson_id}-r",
                            "user_id": user["id"],
                            "ministry_id": user["ministry_id"],
                            "verb": "experienced",
                            "object_type": "lesson",
                            "object_key": "x",
                            "object_name": {},
                            "occurred_at": when,
                        }
                    )
                for number in range(1, tries + 1):
                    attempt_id += 1
                    score = best if number == tries else random.randint(20, best)
                    attempts.append(
                        {
                            "id": attempt_id,
                            "user_id": user["id"],
                            "ministry_id": user["ministry_id"],
                            "module_id": version.module_id,
                            "module_version_id": version.id,
                            "number": number,
                            "status": "submitted",
                            "started_at": when,
                            "submitted_at": when,
                            "score": score,
                            "passed": score >= 80,
                        }
                    )
        for rows, model in (
            (progress, ModuleProgress),
            (reads, LessonProgress),
            (attempts, Attempt),
            (events, LearningEvent),
        ):
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[start : start + 5000])
        db.session.commit()
        # Learners to sign in: some mid-way through the program.
        chosen = [u["email"] for u in users[:8]]
        print(
            f"database: {learners} learners, {len(progress)} module progress rows, "
            f"{len(reads)} lessons read, {len(attempts)} attempts, {len(events)} events"
        )
        slug = versions[0].module.slug
        db.engine.dispose()
    return chosen, slug  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    url, folder = temporary_database()
    started = time.perf_counter()
    emails, slug = populate(url, args.learners)
    print(f"populated in {time.perf_counter() - started:.1f} s")
    pages: dict[str, str] = {
        "dashboard": "/",
        "catalogue": "/modules",
        "module": f"/modules/{slug}",
        "lesson": f"/modules/{slug}/lessons/2",
    }
    baseline = measure_baseline(args.requests * 2, args.concurrency)
    with gunicorn("wsgi:app", app_env(url)) as port:
        cookies = [sign_in(port, email) for email in emails]
        results = measure_pages(
            port, pages, cookies, requests=args.requests, concurrency=args.concurrency
        )
    print(table(results, baseline))
    folder.cleanup()


if __name__ == "__main__":
    main()
