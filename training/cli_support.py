"""What every command shares: domain errors become a one-line message and exit code 1."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import click

from training.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")


def domain_errors_exit(command: Callable[P, R]) -> Callable[P, R]:
    """Print the error (with field details) instead of a traceback. A command that
    writes is also :func:`training.unit_of_work.transactional` (under this decorator),
    which rolls its work back."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            message = error.message
            fields = error.details.get("fields") if error.details else None
            if fields:
                message += " " + "; ".join(
                    f"{name}: {' '.join(map(str, problems))}" for name, problems in fields.items()
                )
            raise click.ClickException(message) from None

    return wrapper
