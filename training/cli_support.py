"""What every command shares: domain errors become a one-line message and exit code 1."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from training.errors import DomainError
from training.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


def domain_errors_exit(command: Callable[P, R]) -> Callable[P, R]:
    """Roll back and print the error (with field details) instead of a traceback."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            db.session.rollback()
            message = error.message
            fields = error.details.get("fields") if error.details else None
            if fields:
                message += " " + "; ".join(
                    f"{name}: {' '.join(map(str, problems))}" for name, problems in fields.items()
                )
            raise click.ClickException(message) from None

    return wrapper
