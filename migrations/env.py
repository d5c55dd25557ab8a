"""Alembic environment: runs inside the Flask app (``flask --app wsgi db ...``)."""

from __future__ import annotations

import logging

from alembic import context
from flask import current_app

logger = logging.getLogger("alembic.env")
config = context.config
database = current_app.extensions["migrate"].db


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # Alembic's own bookkeeping table is not part of the models.
    return not (type_ == "table" and name == "alembic_version")


def run_migrations_offline() -> None:
    context.configure(
        url=database.engine.url.render_as_string(hide_password=False),
        target_metadata=database.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context, revision, directives):  # type: ignore[no-untyped-def]
        # `flask db migrate` with no change writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", process_revision_directives)
    options.setdefault("include_object", _include_object)
    connectable = config.attributes.get("connection") or database.engine
    if isinstance(connectable, type(database.engine)):
        with connectable.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # A batch migration rebuilds a table (copy, drop, rename); SQLite would
                # refuse to drop a table other rows refer to. The pragma only takes effect
                # outside a transaction, so it is set before the migrations' transaction
                # begins and restored once it ends (the references are the same after).
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()  # end the autobegun transaction: Alembic begins its own
            try:
                context.configure(
                    connection=connection, target_metadata=database.metadata, **options
                )
                with context.begin_transaction():
                    context.run_migrations()
            finally:
                if sqlite:
                    connection.rollback()  # nothing is left open after a failure
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()
    else:
        context.configure(connection=connectable, target_metadata=database.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
