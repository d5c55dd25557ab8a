"""Two app servers behind HAProxy and one Celery worker, against one PostgreSQL and one
Redis: what a user does on one server holds on the other, the worker sends the mail
either server asked for, and neither a worker nor a server killed mid-work loses
anything that was committed.

The tests share one deployment (module fixtures) and run in file order; the last one
kills server 1.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import pytest

from tests.smtp import SmtpLog, running_smtp_server
from tests.system_deploy.harness import (
    CHECK_FALL,
    CHECK_INTERVAL,
    SERVERS_DATABASE,
    AppServer,
    Balancer,
    Browser,
    Process,
    Response,
    Stack,
    app_servers,
    balancer,
    bearer,
    celery_worker,
    empty_database,
    flask,
    production_environment,
    query,
    request,
)

PASSWORD = "Tapachula-2026-sistema"
LEARNER = "ana.sistema@gt.example.org"
GUESSED = "objetivo.sistema@gt.example.org"
TRAFFIC_LEARNERS = 14
# A task whose worker died is given to another worker after this many seconds; a mail's
# lease (one sender at a time) ends sooner.
VISIBILITY_TIMEOUT = 10
MAIL_LEASE_SECONDS = 3
# In the order their prerequisites allow.
MODULES = [
    "conceptos",
    "marco-juridico",
    "identificacion",
    "ninez",
    "coordinacion",
    "prevencion",
    "entrevista",
    "riesgo",
    "asistencia",
    "retorno",
    "migrantes-en-transito",
]


@dataclass
class Deployment:
    front: Balancer
    servers: list[AppServer]
    tokens: list[str]
    keys: dict[tuple[str, str], list[str]]  # (module, question) -> the correct choices
    environment: dict[str, str]
    worker: Process
    mail: SmtpLog  # what the mail server received

    @property
    def one(self) -> str:
        return self.servers[0].url

    @property
    def two(self) -> str:
        return self.servers[1].url


def seed_learners(url: str, count: int) -> list[str]:
    """Learners of Guatemala made through the real services (one password hash shared by
    all, as the demo does); bearer tokens for the last ``count`` of them."""
    from training import create_app
    from training.accounts import passwords, tokens, users
    from training.extensions import db
    from training.ministries.services import get_ministry

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        password_hash = passwords.hash_password(PASSWORD)
        ministry = get_ministry("GT")
        emails = [LEARNER, GUESSED] + [f"consul{n:02}.sistema@gt.example.org" for n in range(count)]
        issued = []
        for email in emails:
            user = users.create_user(
                email=email, full_name=f"Persona {email.split('@')[0]}", ministry=ministry
            )
            user.password_hash = password_hash
            if email not in (LEARNER, GUESSED):
                issued.append(tokens.create_token(user).token)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return issued


def answer_keys() -> dict[tuple[str, str], list[str]]:
    rows = query(
        SERVERS_DATABASE,
        "SELECT m.slug, q.key, c.key FROM choice c JOIN question q ON q.id = c.question_id "
        "JOIN module_version v ON v.id = q.module_version_id JOIN module m ON m.id = v.module_id "
        "WHERE c.correct ORDER BY m.slug, q.key, c.key",
    )
    return {
        (slug, key): [choice for _slug, _key, choice in group]
        for (slug, key), group in groupby(rows, key=lambda row: (row[0], row[1]))
    }


@pytest.fixture(scope="module")
def mail_server() -> Iterator[tuple[int, SmtpLog]]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def deployment(stack: Stack, redis_url: str, mail_server: tuple[int, SmtpLog]) -> Deployment:
    url = empty_database(SERVERS_DATABASE)
    mail_port, mail = mail_server
    environment = production_environment(
        url,
        redis_url,
        EVIDENCE_PATH=str(stack.folder / "evidence"),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail_port),
        MAIL_USE_TLS="false",
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        MAIL_LEASE_SECONDS=str(MAIL_LEASE_SECONDS),
    )
    # The release steps of the README's Deploy section, once, from one host.
    flask(environment, "db", "upgrade")
    flask(environment, "ministries", "seed")
    flask(environment, "content", "sync")
    issued = seed_learners(url, TRAFFIC_LEARNERS)
    servers = app_servers(stack, environment, "app1", "app2")
    worker = celery_worker(stack, environment, "worker1")
    front = balancer(stack, servers)
    return Deployment(front, servers, issued, answer_keys(), environment, worker, mail)


def signed_in(browser: Browser, server: str) -> bool:
    """Whether the browser's cookie signs it in on ``server`` (the dashboard, or a
    redirect to the sign-in page)."""
    page = browser.send("GET", server + "/")
    assert page.status in (200, 302), page.status
    return page.status == 200


def test_the_balancer_alternates_between_the_servers(deployment: Deployment) -> None:
    served = [request("GET", deployment.front.url + "/healthz").served_by for _ in range(6)]

    assert served in (["app1", "app2"] * 3, ["app2", "app1"] * 3)


def test_a_sign_in_on_one_server_works_on_the_other(deployment: Deployment) -> None:
    browser = Browser()
    answer = browser.sign_in(deployment.one, LEARNER, PASSWORD)
    assert answer.status == 302, answer.text[:300]

    assert signed_in(browser, deployment.two)
    assert signed_in(browser, deployment.one)
    through = [browser.send("GET", deployment.front.url + "/") for _ in range(4)]
    assert [page.status for page in through] == [200] * 4
    assert {page.served_by for page in through} == {"app1", "app2"}
    # The form of one server is accepted by the other (CSRF secret in the signed cookie).
    other = Browser()
    assert other.sign_in(deployment.two, LEARNER, PASSWORD, form_from=deployment.one).status == 302
    assert signed_in(other, deployment.one)


def test_signing_out_on_one_server_ends_the_session_on_both(deployment: Deployment) -> None:
    browser = Browser()
    assert browser.sign_in(deployment.front.url, LEARNER, PASSWORD).status == 302
    copied = Browser(dict(browser.cookies))  # the same cookie, kept by someone else
    token = browser.csrf_token(deployment.two + "/")

    out = browser.send("POST", deployment.two + "/logout", form={"csrf_token": token})

    assert out.status == 302
    assert not signed_in(copied, deployment.one)
    assert not signed_in(copied, deployment.two)
    assert [signed_in(copied, deployment.front.url) for _ in range(2)] == [False, False]


def test_failed_sign_ins_count_across_both_servers(deployment: Deployment) -> None:
    browser = Browser()
    limit = 10  # LOGIN_LIMIT_PER_ACCOUNT: 10 per 15 minutes
    servers = [deployment.one, deployment.two]
    # Half the failures on each server, directly, then through the balancer.
    answers = [
        browser.sign_in(servers[n % 2], GUESSED, f"wrong-{n}").status for n in range(limit - 2)
    ]
    answers += [browser.sign_in(deployment.front.url, GUESSED, "wrong").status for _ in range(2)]
    assert answers == [200] * limit  # the form again, with its error

    refused = [browser.sign_in(server, GUESSED, PASSWORD) for server in servers]

    assert [answer.status for answer in refused] == [429, 429]
    assert all(answer.headers["Retry-After"] for answer in refused)
    # The API counts in the same budget, on either server.
    api = request(
        "POST",
        deployment.two + "/api/v1/auth/tokens",
        body=b'{"email": "%s", "password": "%s"}' % (GUESSED.encode(), PASSWORD.encode()),
        headers={"Content-Type": "application/json"},
    )
    assert api.status == 429


def test_a_quiz_started_on_one_server_is_submitted_on_the_other(
    deployment: Deployment,
) -> None:
    headers = bearer(deployment.tokens[0])
    started = request(
        "POST", deployment.one + "/api/v1/modules/conceptos/attempts", headers=headers
    )
    assert started.status == 201, started.text[:300]
    attempt = started.json()
    answers = [
        {"question": q["id"], "choices": deployment.keys[("conceptos", q["id"])]}
        for q in attempt["questions"]
        if "scenario" not in q
    ]
    json_headers = {**headers, "Content-Type": "application/json"}

    saved = request(
        "PUT",
        f"{deployment.two}/api/v1/attempts/{attempt['id']}/answers",
        body=_json({"answers": answers[:3]}),
        headers=json_headers,
    )
    submitted = request(
        "POST",
        f"{deployment.two}/api/v1/attempts/{attempt['id']}/submission",
        body=_json({"answers": answers[3:]}),
        headers=json_headers,
    )

    assert saved.status == 200, saved.text[:300]
    assert submitted.status == 200, submitted.text[:300]
    result = submitted.json()
    assert result["status"] == "submitted"
    # The answers saved on server 2 before the submission were graded with the others.
    graded = sum(1 for q in result["questions"] if q.get("correct"))
    assert graded == len(answers)
    again = request("GET", f"{deployment.one}/api/v1/attempts/{attempt['id']}", headers=headers)
    assert again.status == 200
    assert (again.json()["status"], again.json()["score"]) == ("submitted", result["score"])
    [(status, score)] = query(
        SERVERS_DATABASE, "SELECT status, score FROM attempt WHERE id = %s", attempt["id"]
    )
    assert (status, score) == ("submitted", result["score"])


def _json(data: Any) -> bytes:
    import json

    return json.dumps(data).encode()


# --- A server killed mid-traffic ---------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # read, start, submit
    status: int  # 0: no answer at all (connection error)
    at: float
    served_by: str | None
    attempt: int | None = None
    score: int | None = None


class Traffic:
    """Learners reading lessons and taking quizzes through the balancer, each in a thread,
    until they have taken every module or failed one; then checking their progress until
    told to stop."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.outcomes: list[Outcome] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def call(
        self, kind: str, token: str, method: str, path: str, data: Any = None
    ) -> Response | None:
        headers = bearer(token)
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            response: Response | None = request(
                method,
                self.deployment.front.url + path,
                body=_json(data) if data is not None else None,
                headers=headers,
                timeout=15,
            )
        except (OSError, http.client.HTTPException):
            # Refused, reset, or cut off mid-answer (IncompleteRead) by the kill: no answer.
            response = None
        outcome = Outcome(
            kind,
            response.status if response else 0,
            time.monotonic(),
            response.served_by if response else None,
        )
        if response is not None and response.status in (200, 201) and kind != "read":
            body = response.json()
            outcome.attempt, outcome.score = body["id"], body.get("score")
        with self.lock:
            self.outcomes.append(outcome)
        return response

    def persist(
        self, kind: str, token: str, method: str, path: str, data: Any = None
    ) -> Response | None:
        """The call, tried again (up to 4 times) while it gets no answer or a 5xx: every
        step a learner takes here is safe to repeat."""
        for _ in range(4):
            response = self.call(kind, token, method, path, data)
            if response is not None and response.status < 500:
                return response
            time.sleep(0.2)
        return None

    def learner(self, token: str) -> None:
        self.take_modules(token)
        # Done with quizzes (or stopped by a failed one): keeps checking progress.
        while not self.stopping.is_set():
            self.persist("read", token, "GET", "/api/v1/me/progress")
            time.sleep(0.05)

    def take_modules(self, token: str) -> None:
        for slug in MODULES:
            if self.stopping.is_set():
                return
            module = self.persist("read", token, "GET", f"/api/v1/modules/{slug}")
            if module is None or module.status != 200:
                return
            for lesson in module.json()["lessons"]:
                self.persist(
                    "read",
                    token,
                    "POST",
                    f"/api/v1/modules/{slug}/lessons/{lesson['number']}/read",
                )
            started = self.persist("start", token, "POST", f"/api/v1/modules/{slug}/attempts")
            if started is None or started.status not in (200, 201):
                return
            attempt = started.json()
            answers = [
                {"question": q["id"], "choices": self.deployment.keys[(slug, q["id"])]}
                for q in attempt["questions"]
                if "scenario" not in q
            ]
            submitted = self.persist(
                "submit",
                token,
                "POST",
                f"/api/v1/attempts/{attempt['id']}/submission",
                {"answers": answers},
            )
            if submitted is None or submitted.status != 200 or not submitted.json()["passed"]:
                return  # a failed quiz locks the next modules

    def submitted(self) -> int:
        with self.lock:
            return sum(1 for o in self.outcomes if o.kind == "submit" and o.status == 200)

    @classmethod
    @contextmanager
    def running(cls, deployment: Deployment, tokens: list[str]) -> Iterator[Traffic]:
        """The traffic, running until the block ends."""
        traffic = cls(deployment)
        threads = [threading.Thread(target=traffic.learner, args=(t,), daemon=True) for t in tokens]
        for thread in threads:
            thread.start()
        try:
            yield traffic
        finally:
            traffic.stopping.set()
            for thread in threads:
                thread.join(timeout=60)


def half_written_attempts() -> list[tuple[Any, ...]]:
    """Attempts whose rows disagree: submitted without a score, an answer per question,
    or the learner's progress; in progress with graded answers."""
    return query(
        SERVERS_DATABASE,
        """
        SELECT a.id, a.status, a.score FROM attempt a
        WHERE (a.status = 'submitted' AND (
                 a.score IS NULL OR a.passed IS NULL OR a.submitted_at IS NULL
              OR (SELECT count(*) FROM attempt_answer x
                  WHERE x.attempt_id = a.id AND x.credit IS NOT NULL)
                 <> (SELECT count(*) FROM attempt_question q WHERE q.attempt_id = a.id)
              OR NOT EXISTS (SELECT 1 FROM module_progress p
                             WHERE p.user_id = a.user_id
                               AND p.module_version_id = a.module_version_id
                               AND p.best_score >= a.score)))
           OR (a.status = 'in_progress' AND (a.score IS NOT NULL OR EXISTS (
                 SELECT 1 FROM attempt_answer x
                 WHERE x.attempt_id = a.id AND x.credit IS NOT NULL)))
        """,
    )


def wait_for(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"waited {timeout} s for {what}")


def ask_for_a_reset(server: str, email: str) -> Response:
    browser = Browser()
    token = browser.csrf_token(server + "/account/reset")
    return browser.send(
        "POST", server + "/account/reset", form={"email": email, "csrf_token": token}
    )


def outbox(email: str) -> list[tuple[str, int]]:
    """Status and delivery attempts of each message to ``email``, oldest first."""
    return query(
        SERVERS_DATABASE,
        "SELECT status, attempts FROM outbox_message WHERE recipient = %s ORDER BY id",
        email,
    )


def mails_to(log: SmtpLog, email: str) -> int:
    return sum(1 for message in log.messages if message["To"] == email)


def test_the_worker_sends_the_mail_either_server_asked_for(deployment: Deployment) -> None:
    first, second = "consul00.sistema@gt.example.org", "consul01.sistema@gt.example.org"

    assert ask_for_a_reset(deployment.one, first).status == 302
    assert ask_for_a_reset(deployment.two, second).status == 302

    wait_for(
        lambda: mails_to(deployment.mail, first) == 1 and mails_to(deployment.mail, second) == 1,
        "the worker to send both messages",
    )
    assert [status for status, _attempts in outbox(first) + outbox(second)] == ["sent", "sent"]


def test_a_worker_killed_mid_delivery_loses_no_mail_and_sends_it_once(
    deployment: Deployment, stack: Stack
) -> None:
    email = "consul02.sistema@gt.example.org"
    mail = deployment.mail
    mail.hold = threading.Event()  # the mail server does not greet: the task blocks
    connected = mail.connections

    assert ask_for_a_reset(deployment.front.url, email).status == 302
    wait_for(lambda: mail.connections > connected, "the worker to reach the mail server")
    deployment.worker.kill_hard()
    killed_at = time.monotonic()
    mail.hold.set()
    mail.hold = None
    assert outbox(email) == [("queued", 1)]
    assert mails_to(mail, email) == 0

    # Never acknowledged, the task goes to the next worker once the visibility timeout
    # has passed (and the dead worker's lease on the message has ended).
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 1 - (time.monotonic() - killed_at)))
    deployment.worker = celery_worker(stack, deployment.environment, "worker2")

    wait_for(lambda: outbox(email) == [("sent", 2)], "the second worker to send it", 60)
    time.sleep(1)  # and nothing else arrives
    assert mails_to(mail, email) == 1


def test_killing_a_server_mid_traffic_loses_no_committed_attempt(
    deployment: Deployment,
) -> None:
    app1 = deployment.servers[0]
    grace = CHECK_INTERVAL * (CHECK_FALL + 1)  # until HAProxy's checks take app1 out
    with Traffic.running(deployment, deployment.tokens[1:]) as traffic:
        deadline = time.monotonic() + 60
        while traffic.submitted() < 15:
            assert time.monotonic() < deadline, "the traffic does not get going"
            time.sleep(0.05)

        killed_at = time.monotonic()
        app1.process.kill_hard()

        while time.monotonic() < killed_at + grace + 4:
            time.sleep(0.1)
        states = deployment.front.states()

    assert states == {"app1": "DOWN", "app2": "UP"}
    outcomes = traffic.outcomes
    before = [o for o in outcomes if o.at < killed_at]
    after_grace = [o for o in outcomes if o.at > killed_at + grace]
    assert {o.served_by for o in before} == {"app1", "app2"}
    assert len(after_grace) >= 20, "too little traffic after the kill to tell"
    assert {(o.status // 100, o.served_by) for o in after_grace} == {(2, "app2")}
    # Every attempt started or graded with a 2xx answer is in the database, as answered.
    answered = {o.attempt: o for o in outcomes if o.kind == "start" and o.status in (200, 201)}
    graded = {o.attempt: o.score for o in outcomes if o.kind == "submit" and o.status == 200}
    stored = {
        row[0]: (row[1], row[2])
        for row in query(SERVERS_DATABASE, "SELECT id, status, score FROM attempt")
    }
    assert set(answered) <= set(stored)
    assert {attempt: stored[attempt] for attempt in graded} == {
        attempt: ("submitted", score) for attempt, score in graded.items()
    }
    assert half_written_attempts() == []
    print(
        f"{len(outcomes)} requests, {len(graded)} quizzes graded; answers other than 2xx: "
        f"{sorted((o.kind, o.status) for o in outcomes if o.status // 100 != 2)}"
    )
