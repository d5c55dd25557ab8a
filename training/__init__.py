"""Aula Consular: trafficking-in-persons training for consular staff of the CRM ministries."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from training.config import load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application. ``config`` overrides settings read from the environment."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(load_settings(os.environ, Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)

    if app.config["TRUSTED_PROXIES"]:
        count = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count
        )

    from training import security

    # First of all request hooks: nothing may read a body before its limit is set.
    security.init_body_limits(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_commands(app)
    _connect_signals()

    from training import authz, errors, i18n, jobs, logs, metrics, security, timing, unit_of_work
    from training.audit import services as audit

    logs.init_app(app)
    errors.register_error_handlers(app)
    audit.init_app(app)
    authz.init_app(app)
    security.init_app(app)
    timing.init_app(app)
    metrics.init_app(app)
    i18n.init_app(app)
    # Before the unit of work: a request's tasks are known once its commit has run.
    jobs.init_app(app)
    # Last: its after_request hook runs first, so that a failed commit's 500 gets the
    # headers of every other hook.
    unit_of_work.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    # Import every model so that metadata (and Alembic) know the whole schema.
    from training import (
        database_events,
        limiting,
        models,  # noqa: F401
    )
    from training.accounts import authentication
    from training.extensions import api, babel, csrf, db, limiter, login_manager, migrate
    from training.openapi import BodyLimitPlugin

    db.init_app(app)
    database_events.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    authentication.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale_selector)
    limiter.init_app(app)
    limiting.init_app(app)
    api.init_app(app, spec_kwargs={"servers": [{"url": "/"}], "extra_plugins": [BodyLimitPlugin()]})
    if not app.config["REDIS_URL"] and app.config["TRAINING_ENV"] == "production":
        app.logger.warning(
            "REDIS_URL is not set: rate limits are counted per worker process, not shared"
        )


def _locale_selector() -> str:
    from training.i18n import select_locale

    return select_locale()


def _register_blueprints(app: Flask) -> None:
    from training.accounts import api as accounts_api
    from training.accounts import views as accounts_views
    from training.catalog import views as catalog_views
    from training.certificates import api as certificates_api
    from training.certificates import views as certificates_views
    from training.cohorts import api as cohorts_api
    from training.cohorts import views as cohorts_views
    from training.exports import api as exports_api
    from training.exports import views as exports_views
    from training.extensions import api, csrf
    from training.links import api as links_api
    from training.links import views as links_views
    from training.progress import api as progress_api
    from training.progress import learning_api
    from training.progress import views as progress_views
    from training.quizzes import api as quizzes_api
    from training.quizzes import views as quizzes_views
    from training.reports import api as reports_api
    from training.reports import audit_api, audit_views, indicators_api, indicators_views
    from training.reports import views as reports_views
    from training.system import api as system_api
    from training.system import views as system_views

    app.register_blueprint(system_views.blueprint)
    app.register_blueprint(accounts_views.blueprint)
    app.register_blueprint(catalog_views.blueprint)
    app.register_blueprint(progress_views.blueprint)
    app.register_blueprint(quizzes_views.blueprint)
    app.register_blueprint(certificates_views.blueprint)
    app.register_blueprint(cohorts_views.blueprint)
    app.register_blueprint(reports_views.blueprint)
    app.register_blueprint(audit_views.blueprint)
    app.register_blueprint(indicators_views.blueprint)
    app.register_blueprint(links_views.blueprint)
    app.register_blueprint(exports_views.blueprint)
    api_blueprints = (
        accounts_api.blp,
        learning_api.blp,
        quizzes_api.blp,
        progress_api.blp,
        certificates_api.blp,
        cohorts_api.blp,
        reports_api.blp,
        audit_api.blp,
        indicators_api.blp,
        links_api.blp,
        exports_api.blp,
        system_api.blp,
    )
    for api_blueprint in api_blueprints:
        api.register_blueprint(api_blueprint)
        # The API checks CSRF itself, only for session-authenticated calls.
        csrf.exempt(api_blueprint)


def _connect_signals() -> None:
    """Cross-domain reactions (training.signals); connecting twice is harmless."""
    from training.certificates import issuing
    from training.progress import records as progress

    progress.connect_signals()  # attempt_submitted -> the learner's progress
    issuing.connect_signals()  # program_completed -> a certificate


def _register_commands(app: Flask) -> None:
    from training.accounts.cli import users_cli
    from training.catalog.cli import content_cli
    from training.certificates.cli import certificates_cli, keygen
    from training.jobs.cli import jobs_cli
    from training.links.cli import links_cli
    from training.mail.cli import mail_cli
    from training.ministries.cli import ministries_cli
    from training.reports.cli import item_report, reports_cli
    from training.system.cli import demo

    app.cli.add_command(users_cli)
    # The authors' item statistics read reports, a layer above the catalogue.
    content_cli.add_command(item_report)
    app.cli.add_command(content_cli)
    ministries_cli.add_command(keygen)
    app.cli.add_command(ministries_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(links_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(demo)
