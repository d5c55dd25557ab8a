"""The learner API (bearer tokens) and pages (sessions) under load, next to a bare Flask
endpoint served the same way in the same run.

    .venv/bin/python bench/learning.py [--learners 2000] [--requests 400] [--concurrency 8]
                                       [--compare-workers]

Builds a database (SQLite in a temporary folder, or BENCH_DATABASE_URL, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/bench; it must be empty) with the shipped
curriculum and N learners with realistic progress (lessons read, attempts, events), starts
gunicorn with the repository's deploy/gunicorn.conf.py for the application and for a bare Flask
app, issues tokens (POST /api/v1/auth/tokens) and signs in a few learners, and prints for
each learner API endpoint and page the median server time (Server-Timing), the median and
95th-percentile client time, requests per second and the ratio to the bare endpoint.

--compare-workers also measures the bare endpoint and a few learner requests under each
worker setting (sync 2 and 4 workers, gthread 2-4 workers x 2-4 threads) and prints the
comparison used to choose deploy/gunicorn.conf.py's defaults.
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
from datetime import timedelta
from pathlib import Path

from common import (
    CONFIGURED,
    PASSWORD,
    Serving,
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
    from sqlalchemy import insert, select, text

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
        # Modules started: many none or all, more of the early ones than the late ones.
        half = len(versions) // 2
        weights = [3] + [2 if i < half else 1 for i in range(len(versions) - 1)] + [3]
        progress, reads, attempts, events = [], [], [], []
        attempt_id = 0
        for user in users:
            started = random.choices(range(len(versions) + 1), weights=weights)[0]
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
        if db.engine.dialect.name == "postgresql":
            # Users and attempts were given their ids: move their sequences past them, so
            # that the attempts and accounts the run creates get fresh ones.
            for statement in (
                "SELECT setval(pg_get_serial_sequence('user_account', 'id'), max(id)) "
                "FROM user_account",
                "SELECT setval(pg_get_serial_sequence('attempt', 'id'), max(id)) FROM attempt",
            ):
                db.session.execute(text(statement))
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


def issue_token(port: int, email: str) -> str:
    """A bearer token for ``email`` from ``POST /api/v1/auth/tokens``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST",
        "/api/v1/auth/tokens",
        body=json.dumps({"email": email, "password": PASSWORD}),
        headers={"Content-Type": "application/json"},
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 201, f"token refused: {response.status} {body[:300]!r}"
    return str(json.loads(body)["token"])


WORKER_SETTINGS = [
    Serving(2, "sync"),
    Serving(4, "sync"),
    Serving(2, "gthread", 2),
    Serving(2, "gthread", 4),
    Serving(4, "gthread", 2),
]


def compare_workers(url: str, emails: list[str], slug: str, args: argparse.Namespace) -> None:
    """Bare endpoint, one API request and one page under each worker setting."""
    rows = []
    for serving in WORKER_SETTINGS:
        baseline = measure_baseline(args.requests * 2, args.concurrency, serving)
        with gunicorn("wsgi:app", app_env(url), serving) as port:
            tokens = [{"Authorization": f"Bearer {issue_token(port, e)}"} for e in emails]
            cookies = [sign_in(port, email) for email in emails]
            api = measure_pages(
                port,
                {"api lesson": f"/api/v1/modules/{slug}/lessons/2"},
                None,
                headers=tokens,
                requests=args.requests,
                concurrency=args.concurrency,
            )
            pages = measure_pages(
                port,
                {"page dashboard": "/"},
                cookies,
                requests=args.requests,
                concurrency=args.concurrency,
            )
        rows.append((serving, baseline, *api, *pages))
    print("\nworker settings (req/s; median / p95 client ms; ratio to bare in the same setting)")
    print(f"{'setting':<16}{'bare':>22}{'api lesson':>30}{'page dashboard':>30}")
    for serving, baseline, *results in rows:
        cells = [f"{baseline.rps:>6.0f} {baseline.client_median:>5.1f}/{baseline.client_p95:>5.1f}"]
        for result in results:
            cells.append(
                f"{result.rps:>6.0f} {result.client_median:>5.1f}/{result.client_p95:>6.1f}"
                f" {result.rps / baseline.rps:>4.2f}x"
            )
        print(f"{serving.label:<16}{cells[0]:>22}{cells[1]:>30}{cells[2]:>30}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--compare-workers", action="store_true")
    args = parser.parse_args()

    url, folder = temporary_database()
    started = time.perf_counter()
    emails, slug = populate(url, args.learners)
    print(f"populated in {time.perf_counter() - started:.1f} s on {url.split(':', 1)[0]}")
    api: dict[str, str] = {
        "api modules": "/api/v1/modules",
        "api module": f"/api/v1/modules/{slug}",
        "api lesson": f"/api/v1/modules/{slug}/lessons/2",
        "api me/progress": "/api/v1/me/progress",
    }
    pages: dict[str, str] = {
        "page dashboard": "/",
        "page catalogue": "/modules",
        "page module": f"/modules/{slug}",
        "page lesson": f"/modules/{slug}/lessons/2",
    }
    baseline = measure_baseline(args.requests * 2, args.concurrency)
    with gunicorn("wsgi:app", app_env(url)) as port:
        tokens = [{"Authorization": f"Bearer {issue_token(port, e)}"} for e in emails]
        cookies = [sign_in(port, email) for email in emails]
        results = measure_pages(
            port, api, None, headers=tokens, requests=args.requests, concurrency=args.concurrency
        )
        results += measure_pages(
            port, pages, cookies, requests=args.requests, concurrency=args.concurrency
        )
    print(f"\ngunicorn.conf.py as configured ({CONFIGURED.label}), concurrency {args.concurrency}")
    print(table(results, baseline))
    if args.compare_workers:
        compare_workers(url, emails, slug, args)
    folder.cleanup()


if __name__ == "__main__":
    main()
