"""Many consuls at once: each reads lessons, checks their progress and takes quizzes
through the API, thinking 30-90 s between actions, against gunicorn.

    .venv/bin/python bench/load.py [--consuls 2000] [--minutes 5] [--think 30 90]
                                   [--workers 2] [--threads 2] [--worker-class gthread]

Builds the same database as bench/learning.py (SQLite in a temporary folder, or
BENCH_DATABASE_URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/bench; it must be
empty) with one learner per consul and a bearer token for each (written directly, so that
the set-up does not spend minutes hashing passwords), starts the application under
gunicorn with deploy/gunicorn.conf.py, and runs every consul as an asyncio task with aiohttp.
Consuls start spread over the first think time, so that the run begins at its steady
rate rather than with a stampede.

Prints the latency of every request (p50, p95, p99, max), the request rate, the answers
by status, and the errors: a 5xx or a failed connection. A 403 (a quiz locked, no
attempt left, a retake on hold) is an ordinary answer to a learner, counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
from common import Serving, app_env, gunicorn, percentile, seeded, temporary_database
from learning import populate


def issue_tokens(url: str, count: int) -> list[str]:
    """A bearer token for each of learners 1..count, stored as the application stores
    them (a digest)."""
    from sqlalchemy import insert

    from training import create_app
    from training.accounts.models import ApiToken
    from training.accounts.tokens import TOKEN_PREFIX, digest
    from training.database import utcnow
    from training.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    secrets_by_user = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in range(count)]
    now = utcnow()
    with app.app_context():
        db.session.execute(
            insert(ApiToken),
            [
                {
                    "user_id": number,
                    "token_hash": digest(secret),
                    "created_at": now,
                    "expires_at": now + timedelta(days=1),
                    "last_used_at": None,
                }
                for number, secret in enumerate(secrets_by_user, start=1)
            ],
        )
        db.session.commit()
        db.engine.dispose()
    return secrets_by_user


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)

    def add(self, name: str, milliseconds: float, status: int) -> None:
        self.latencies.setdefault(name, []).append(milliseconds)
        self.statuses[status] += 1
        if status >= 500:
            self.errors[f"{status} {name}"] += 1

    @property
    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


class Consul:
    """One learner with a token, acting on the API as a person would."""

    def __init__(
        self, http: aiohttp.ClientSession, base: str, token: str, tally: Tally, seed: int
    ) -> None:
        self.http = http
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.tally = tally
        self.random = seeded(seed)

    async def call(self, name: str, method: str, path: str, body: Any = None) -> Any:
        started = time.perf_counter()
        try:
            async with self.http.request(
                method, self.base + path, headers=self.headers, json=body
            ) as response:
                data = await response.json(content_type=None) if response.status < 500 else None
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as error:
            self.tally.errors[f"{type(error).__name__} {name}"] += 1
            return None, 0
        self.tally.add(name, (time.perf_counter() - started) * 1000, status)
        return data, status

    async def read_lesson(self) -> None:
        modules, status = await self.call("GET modules", "GET", "/api/v1/modules")
        if status != 200:
            return
        open_modules = [m for m in modules["items"] if not m["locked"]] or modules["items"]
        slug = self.random.choice(open_modules)["slug"]
        detail, status = await self.call("GET module", "GET", f"/api/v1/modules/{slug}")
        if status != 200 or not detail["lessons"]:
            return
        number = self.random.choice(detail["lessons"])["number"]
        await self.call("GET lesson", "GET", f"/api/v1/modules/{slug}/lessons/{number}")
        if self.random.random() < 0.5:
            await self.call(
                "POST lesson read", "POST", f"/api/v1/modules/{slug}/lessons/{number}/read"
            )

    async def check_progress(self) -> None:
        await self.call("GET me/progress", "GET", "/api/v1/me/progress")

    async def take_quiz(self) -> None:
        modules, status = await self.call("GET modules", "GET", "/api/v1/modules")
        if status != 200:
            return
        candidates = [m for m in modules["items"] if not m["locked"] and m["status"] != "completed"]
        if not candidates:
            return
        slug = candidates[0]["slug"]
        attempt, status = await self.call(
            "POST attempt", "POST", f"/api/v1/modules/{slug}/attempts"
        )
        if status not in (200, 201):
            return
        answers = [
            {
                "question": question["id"],
                "choices": [self.random.choice(question["choices"])["id"]],
            }
            for question in attempt["questions"]
            if question["type"] != "scenario" and question.get("choices")
        ]
        await self.call(
            "POST submission",
            "POST",
            f"/api/v1/attempts/{attempt['id']}/submission",
            {"answers": answers},
        )

    async def run(self, think: tuple[float, float], until: float) -> None:
        # Spread the start over one think time.
        await asyncio.sleep(min(self.random.uniform(0, think[1]), until - time.monotonic()))
        actions = [(self.read_lesson, 6), (self.check_progress, 3), (self.take_quiz, 1)]
        while time.monotonic() < until:
            action = self.random.choices(
                [a for a, _w in actions], weights=[w for _a, w in actions]
            )[0]
            self.tally.actions[action.__name__] += 1
            await action()
            await asyncio.sleep(
                max(0.0, min(self.random.uniform(*think), until - time.monotonic()))
            )


async def drive(port: int, tokens: list[str], minutes: float, think: tuple[float, float]) -> Tally:
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=256, limit_per_host=256)
    timeout = aiohttp.ClientTimeout(total=60)
    until = time.monotonic() + minutes * 60
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        consuls = [
            Consul(http, f"http://127.0.0.1:{port}", token, tally, seed=index)
            for index, token in enumerate(tokens)
        ]
        await asyncio.gather(*(consul.run(think, until) for consul in consuls))
    return tally


def report(tally: Tally, seconds: float, consuls: int, serving: Serving) -> str:
    everything = tally.all_latencies
    lines = [
        f"{consuls} consuls, {seconds / 60:.1f} min, gunicorn {serving.label}",
        f"requests {len(everything)}  rate {len(everything) / seconds:.1f} req/s  "
        f"errors {sum(tally.errors.values())}",
        f"{'request':<20}{'count':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}",
    ]
    rows = [*sorted(tally.latencies.items()), ("all", everything)]
    for name, values in rows:
        if not values:
            continue
        lines.append(
            f"{name:<20}{len(values):>8}{statistics.median(values):>9.1f}"
            f"{percentile(values, 95):>9.1f}{percentile(values, 99):>9.1f}{max(values):>9.1f}"
        )
    lines.append("answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items())))
    lines.append("actions: " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.actions.items())))
    if tally.errors:
        lines.append("errors: " + ", ".join(f"{k}: {v}" for k, v in tally.errors.items()))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--consuls", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--think", type=float, nargs=2, default=(30.0, 90.0))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    args = parser.parse_args()

    serving = Serving(args.workers, args.worker_class, args.threads)
    url, folder = temporary_database()
    populate(url, args.consuls)
    tokens = issue_tokens(url, args.consuls)
    with gunicorn("wsgi:app", app_env(url), serving) as port:
        started = time.monotonic()
        tally = asyncio.run(drive(port, tokens, args.minutes, tuple(args.think)))
        seconds = time.monotonic() - started
    print(report(tally, seconds, args.consuls, serving))
    folder.cleanup()


if __name__ == "__main__":
    main()
