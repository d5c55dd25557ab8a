"""Reports under load, next to a bare Flask endpoint served the same way; and the peak
memory of a 50,000-row CSV export.

    .venv/bin/python bench/reports.py [--staff 5000] [--requests 200] [--concurrency 4]

Builds a database (SQLite in a temporary folder, or BENCH_DATABASE_URL) with the shipped
curriculum (eleven modules), ``--staff`` learners of Guatemala with realistic progress
(module progress, graded attempts with their answers, program completions and
certificates) plus a tenth as many in the other ministries, starts gunicorn with 2 workers
for the application and for a bare Flask app, signs in a coordinator, a regional user
and an administrator (the authors' item statistics), and prints for each report the
median server time (Server-Timing), the median client time, requests per second and the
ratio to the bare endpoint. The item analyses keep their figures while the graded
attempts are unchanged (training/reports/cache.py), so they are measured a second time
with that cache off (``REPORT_CACHE_ENTRIES=0``, "cold"): the cost of the first request
after an attempt is graded.

``--only pages`` measures the ministry page and the item analyses only; ``--reuse``
keeps a database that ``BENCH_DATABASE_URL`` names and an earlier run populated.

Then it exports the whole completion report (staff × 11 rows: 55,000 by default) as CSV
in this process, under tracemalloc, and prints the peak memory next to the size of the
file: the export streams, so the peak stays near one chunk of rows whatever the size.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

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

COORDINATOR = "coordinacion@bench.example.org"
REGIONAL = "secretaria@bench.example.org"
AUTHOR = "contenidos@bench.example.org"


def populate(url: str, staff: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from training import create_app
    from training.accounts.models import User, UserRole
    from training.accounts.passwords import hash_password
    from training.catalog import services as catalog
    from training.catalog.models import Module, ModuleVersion, Program, Question
    from training.certificates.models import Certificate
    from training.cohorts.models import Cohort, CohortMember
    from training.database import utcnow
    from training.extensions import db
    from training.ministries.models import Ministry, Post
    from training.ministries.services import seed_ministries
    from training.progress.models import ModuleProgress, ProgramCompletion
    from training.quizzes.models import Attempt, AttemptAnswer

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    random = seeded()
    with app.app_context():
        upgrade()
        seed_ministries()
        catalog.sync(Path(app.root_path).parent / "content" / "manual_modules")
        db.session.commit()
        ministries = dict(db.session.execute(select(Ministry.code, Ministry.id)).all())
        guatemala = ministries["GT"]
        others = [ministry_id for code, ministry_id in ministries.items() if code != "GT"]
        program = db.session.scalars(select(Program)).one()
        versions = db.session.scalars(
            select(ModuleVersion)
            .join(Module, Module.current_version_id == ModuleVersion.id)
            .order_by(ModuleVersion.position)
        ).all()
        questions = {
            v.id: db.session.scalars(
                select(Question.id).where(Question.module_version_id == v.id)
            ).all()
            for v in versions
        }
        posts = []
        for n in range(20):
            post = Post(
                ministry_id=guatemala,
                kind="consulate",
                name=f"Consulado número {n + 1}",
                city="Ciudad",
                country="MX",
            )
            db.session.add(post)
            posts.append(post)
        db.session.flush()
        password_hash = hash_password(PASSWORD)
        now = utcnow()
        people = staff + staff // 10
        users, roles = [], []
        for n in range(1, people + 1):
            ministry_id = guatemala if n <= staff else random.choice(others)
            users.append(
                {
                    "id": n,
                    "email": f"persona{n}@bench.example.org",
                    "full_name": f"Persona Número {n}",
                    "language": "es",
                    "ministry_id": ministry_id,
                    "post_id": random.choice(posts).id if ministry_id == guatemala else None,
                    "password_hash": password_hash,
                    "active": random.random() > 0.03,
                    "auth_version": 1,
                    "created_at": now,
                }
            )
            roles.append({"user_id": n, "role": "learner"})
        for n, (email, role, ministry_id) in enumerate(
            [
                (COORDINATOR, "coordinator", guatemala),
                (REGIONAL, "regional", ministries["CR"]),
                (AUTHOR, "admin", ministries["CR"]),
            ],
            start=people + 1,
        ):
            users.append(
                {
                    "id": n,
                    "email": email,
                    "full_name": role.title(),
                    "language": "es",
                    "ministry_id": ministry_id,
                    "password_hash": password_hash,
                    "active": True,
                    "auth_version": 1,
                    "created_at": now,
                }
            )
            roles.append({"user_id": n, "role": role})
        db.session.execute(insert(User), users)
        db.session.execute(insert(UserRole), roles)

        # How many modules each learner started: none or all of them most often.
        weights = [3] + [2 if n < 5 else 1 for n in range(len(versions) - 1)] + [3]
        progress, attempts, answers, completions, certificates = [], [], [], [], []
        attempt_id = 0
        for user in users[:people]:
            started = random.choices(range(len(versions) + 1), weights=weights)[0]
            skill = random.random()
            for index, version in enumerate(versions[:started]):
                done = index < started - 1 or random.random() < 0.5
                when = now - timedelta(days=random.randint(1, 300))
                best = random.randint(80, 100) if done else random.randint(30, 79)
                progress.append(
                    {
                        "user_id": user["id"],
                        "ministry_id": user["ministry_id"],
                        "module_id": version.module_id,
                        "module_version_id": version.id,
                        "lessons_read": 3,
                        "best_score": best,
                        "started_at": when,
                        "passed_at": when if done else None,
                        "completed_at": when if done else None,
                    }
                )
                attempt_id += 1
                attempts.append(
                    {
                        "id": attempt_id,
                        "user_id": user["id"],
                        "ministry_id": user["ministry_id"],
                        "module_id": version.module_id,
                        "module_version_id": version.id,
                        "number": 1,
                        "status": "submitted",
                        "started_at": when,
                        "submitted_at": when,
                        "score": best,
                        "passed": done,
                    }
                )
                for question_id in questions[version.id][: version.questions_per_attempt]:
                    right = random.random() < 0.3 + 0.6 * skill
                    answers.append(
                        {
                            "attempt_id": attempt_id,
                            "question_id": question_id,
                            "choice_ids": [],
                            "credit": 1.0 if right else 0.0,
                            "correct": right,
                            "saved_at": when,
                        }
                    )
            if started == len(versions) and random.random() < 0.8:
                completions.append(
                    {
                        "user_id": user["id"],
                        "ministry_id": user["ministry_id"],
                        "program_id": program.id,
                        "completed_at": now - timedelta(days=random.randint(0, 300)),
                    }
                )
                certificates.append(
                    {
                        "serial": f"B-{user['id']:07d}",
                        "code": uuid.uuid4().hex[:32],
                        "user_id": user["id"],
                        "ministry_id": user["ministry_id"],
                        "program_id": program.id,
                        "status": "valid",
                        "holder_name": user["full_name"],
                        "language": "es",
                        "hours": program.hours,
                        "modules": [],
                        "subject_id": f"urn:uuid:{uuid.uuid4()}",
                        "requested_at": completions[-1]["completed_at"],
                        "issued_at": completions[-1]["completed_at"],
                    }
                )
        for rows, model in (
            (progress, ModuleProgress),
            (attempts, Attempt),
            (answers, AttemptAnswer),
            (completions, ProgramCompletion),
            (certificates, Certificate),
        ):
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(model), rows[start : start + 5000])
        cohort = Cohort(
            ministry_id=guatemala,
            program_id=program.id,
            name="Promoción 2026",
            starts_on=date.today() - timedelta(days=200),
            deadline=date.today() - timedelta(days=10),
        )
        db.session.add(cohort)
        db.session.flush()
        db.session.execute(
            insert(CohortMember),
            [{"cohort_id": cohort.id, "user_id": u["id"]} for u in users[: staff // 2]],
        )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does on a live database: the planner's statistics.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        print(
            f"database: {staff} learners of GT and {people - staff} of other ministries, "
            f"{len(versions)} modules, {len(progress)} module progress rows, "
            f"{len(attempts)} attempts, {len(answers)} answers, "
            f"{len(certificates)} certificates"
        )
        db.engine.dispose()


def populated(url: str) -> bool:
    """Whether the database at ``url`` holds this script's data already."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM user_account WHERE email = :email"), {"email": AUTHOR}
            ).scalar()
    except DBAPIError:
        return False
    finally:
        engine.dispose()
    return bool(found)


def in_process(url: str, pages: dict[str, tuple[str, str]], repeat: int = 15) -> None:
    """Each page requested ``repeat`` times in this process, one at a time, after two
    warm-up requests: medians of wall time and of this process's CPU time. On a machine
    shared with other work the CPU time is the steadier figure (on SQLite it includes
    the database's work; on PostgreSQL the server's work is elsewhere)."""
    import re
    import statistics

    from training import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    clients: dict[str, Any] = {}
    for name, (email, path) in pages.items():
        client = clients.get(email)
        if client is None:
            client = clients[email] = app.test_client()
            form = client.get("/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form)
            client.post(
                "/login",
                data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
            )
        wall, cpu = [], []
        for n in range(repeat + 2):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if n >= 2:
                wall.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
        print(
            f"{name:<28} wall {statistics.median(wall):7.1f} ms   "
            f"CPU of this process {statistics.median(cpu):7.1f} ms"
        )


def export_peak(url: str, format_name: str) -> tuple[int, int, int, float]:
    """Export the whole completion report in ``format_name`` in this process: (rows,
    bytes, peak traced bytes, seconds)."""
    from sqlalchemy import select

    from training import create_app
    from training.accounts.models import User
    from training.extensions import db
    from training.reports import formats, presenters, services

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.test_request_context():
        coordinator = db.session.scalars(select(User).where(User.email == COORDINATOR)).one()
        scope = services.scope(coordinator)
        table_ = presenters.completion("es")
        rows = 0

        def counted() -> Any:
            nonlocal rows
            for row in services.completion_stream(scope):
                rows += 1
                yield row

        # Warm up (compiled SQL, translations), on the same data.
        for _chunk in formats.get(format_name).chunks(
            "x", table_.headers(), table_.export_rows(services.completion_stream(scope))
        ):
            break

        def export(rows_: Any) -> int:
            return sum(
                len(chunk)
                for chunk in formats.get(format_name).chunks(
                    "x", table_.headers(), table_.export_rows(rows_)
                )
            )

        # Timed without tracemalloc (it slows allocation-heavy code several times over),
        # then measured again for memory.
        started = time.perf_counter()
        size = export(counted())
        seconds = time.perf_counter() - started
        tracemalloc.start()
        try:
            export(services.completion_stream(scope))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        db.engine.dispose()
    return rows, size, peak, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database BENCH_DATABASE_URL names if it is already populated "
        "(an earlier run of this script), instead of populating it",
    )
    parser.add_argument(
        "--only",
        choices=("pages", "all"),
        default="all",
        help="pages: the ministry page and the item analyses only (no exports)",
    )
    args = parser.parse_args()

    url, folder = temporary_database()
    if args.reuse and populated(url):
        print(f"database: reused ({url.split('@')[-1]})")
    else:
        started = time.perf_counter()
        populate(url, args.staff)
        print(f"populated in {time.perf_counter() - started:.1f} s")
    coordinator_pages = {
        "completion JSON": "/api/v1/reports/completion",
        "completion filtered": "/api/v1/reports/completion?post=3&status=completed",
        "ministry page": "/coordination/reports",
        "ministry page 50": "/coordination/reports?page=50",
        "item analysis": "/api/v1/reports/items",
        "item analysis page": "/coordination/reports/items",
        "overdue": "/api/v1/reports/overdue",
    }
    author_pages = {"item statistics page": "/content/item-statistics"}
    exports = {"completion CSV": "/api/v1/reports/completion?format=csv"}
    regional_pages = {"regional": "/api/v1/reports/regional", "regional page": "/regional"}
    if args.only == "pages":
        coordinator_pages = {
            name: path
            for name, path in coordinator_pages.items()
            if name.startswith(("ministry", "item"))
        }
        exports = regional_pages = {}
    baseline = measure_baseline(args.requests * 2, args.concurrency)
    results: list[Any] = []
    with gunicorn("wsgi:app", app_env(url)) as port:
        coordinator = [sign_in(port, COORDINATOR)]
        regional = [sign_in(port, REGIONAL)]
        author = [sign_in(port, AUTHOR)]
        for pages, cookies, count in (
            (coordinator_pages, coordinator, args.requests),
            (author_pages, author, args.requests),
            (exports, coordinator, max(5, args.requests // 20)),
            (regional_pages, regional, args.requests),
        ):
            results += measure_pages(
                port,
                pages,
                cookies,
                requests=count,
                concurrency=args.concurrency,
                warm_up=4,
                max_seconds=120,
            )
    # The item analyses once more with their figures computed on every request (no
    # cache): what the first request after a newly graded attempt costs.
    uncached = {
        "item analysis, cold": "/api/v1/reports/items",
        "item analysis page, cold": "/coordination/reports/items",
        "item statistics, cold": "/content/item-statistics",
    }
    with gunicorn("wsgi:app", {**app_env(url), "REPORT_CACHE_ENTRIES": "0"}) as port:
        results += measure_pages(
            port,
            {k: v for k, v in uncached.items() if "statistics" not in k},
            [sign_in(port, COORDINATOR)],
            requests=max(10, args.requests // 4),
            concurrency=args.concurrency,
            warm_up=2,
            max_seconds=120,
        )
        results += measure_pages(
            port,
            {k: v for k, v in uncached.items() if "statistics" in k},
            [sign_in(port, AUTHOR)],
            requests=max(10, args.requests // 4),
            concurrency=args.concurrency,
            warm_up=2,
            max_seconds=120,
        )
    print(table(results, baseline))
    print("One request at a time, in this process (REPORT_CACHE_ENTRIES as configured):")
    in_process(
        url,
        {
            "ministry page": (COORDINATOR, "/coordination/reports"),
            "ministry page 50": (COORDINATOR, "/coordination/reports?page=50"),
            "item analysis": (COORDINATOR, "/api/v1/reports/items"),
            "item analysis page": (COORDINATOR, "/coordination/reports/items"),
            "item statistics page": (AUTHOR, "/content/item-statistics"),
        },
    )
    if args.only == "pages":
        folder.cleanup()
        return
    print("(the server time of the CSV export covers building the response; its rows")
    print(" stream afterwards, so read its client time for the whole download)")
    for format_name in ("csv", "xlsx"):
        rows, size, peak, seconds = export_peak(url, format_name)
        print(
            f"{format_name.upper()} export in process: {rows} rows, {size / 1e6:.1f} MB "
            f"in {seconds:.1f} s, peak traced memory {peak / 1e6:.2f} MB"
        )
    folder.cleanup()


if __name__ == "__main__":
    main()
