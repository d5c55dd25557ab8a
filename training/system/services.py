"""Demo data: a working site to look around in, never for production."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from training.accounts import users
from training.accounts.models import User
from training.errors import Conflict
from training.extensions import db
from training.ministries import services as ministries
from training.ministries.models import Post
from training.system import demo_courses, demo_learning, demo_statistics

# Shown on screen by `flask demo`; the command refuses to run in production.
DEMO_PASSWORD = "Palermo-2000-Demo"  # noqa: S105

DEMO_POSTS = {
    "GT": [
        ("headquarters", "Dirección General de Asuntos Consulares", "Ciudad de Guatemala", "GT"),
        ("consulate", "Consulado General de Guatemala en Tapachula", "Tapachula", "MX"),
        ("consulate", "Consulado General de Guatemala en Los Ángeles", "Los Ángeles", "US"),
    ],
    "MX": [
        ("headquarters", "Dirección General de Protección Consular", "Ciudad de México", "MX"),
        ("consulate", "Consulado General de México en San José", "San José", "CR"),
    ],
    "CR": [("embassy", "Embajada de Costa Rica en Panamá", "Ciudad de Panamá", "PA")],
}

DEMO_USERS = [
    # e-mail, name, ministry, roles, post index, language
    ("consul@demo.gt", "María José Pérez Xicará", "GT", ["learner"], 1, "es"),
    ("consul.en@demo.gt", "Daniel Ramírez", "GT", ["learner"], 2, "en"),
    ("coordinacion@demo.gt", "Ana Lucía Coyoy", "GT", ["coordinator", "learner"], 0, "es"),
    ("firma@demo.gt", "Héctor Estuardo Ajú", "GT", ["issuer"], 0, "es"),
    ("consul@demo.mx", "José Ángel Núñez", "MX", ["learner"], 1, "es"),
    ("coordinacion@demo.mx", "Guadalupe Ordóñez", "MX", ["coordinator", "learner"], 0, "es"),
    ("st@demo.crm", "Secretaría Técnica CRM", "CR", ["regional"], 0, "es"),
    ("admin@demo.crm", "Operador de la plataforma", "CR", ["admin"], 0, "es"),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    roles: list[str]
    ministry: str


def load_demo() -> list[DemoLogin]:
    """Ministries, a few posts and one user per role; idempotent."""
    if current_app.config["TRAINING_ENV"] == "production":
        raise Conflict("Demo data is never loaded in production.")
    ministries.seed_ministries()
    posts: dict[str, list[Post]] = {}
    for code, rows in DEMO_POSTS.items():
        ministry = ministries.get_ministry(code)
        existing = {post.name: post for post in ministry.posts}
        posts[code] = [
            existing.get(name)
            or ministries.create_post(ministry, kind=kind, name=name, city=city, country=country)
            for kind, name, city, country in rows
        ]
    logins = []
    for email, name, code, roles, post_index, language in DEMO_USERS:
        if db.session.scalar(db.select(User.id).where(User.email == email)) is None:
            users.create_user(
                email=email,
                full_name=name,
                ministry=ministries.get_ministry(code),
                roles=roles,
                password=DEMO_PASSWORD,
                language=language,
                post=posts[code][post_index],
            )
        logins.append(DemoLogin(email, roles, code))
    # IOM's virtual course, for every ministry; Guatemala counts it toward the program.
    course = demo_courses.seed_demo_courses(credit_ministry_ids=[ministries.get_ministry("GT").id])
    # More staff with learning history, cohorts and completions of IOM's course, so that
    # every report shows something.
    demo_learning.load(posts, DEMO_PASSWORD, course)
    # Staff of six more ministries answering the quizzes by a simple model, so that the
    # authors' item statistics have enough answers to mean something.
    demo_statistics.load()
    db.session.flush()
    return logins
