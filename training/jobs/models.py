from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from training.database import UTCDateTime
from training.extensions import db


class JobRun(db.Model):  # type: ignore[name-defined]
    """The schedule of one periodic job: when it is due next, and how its last run went.
    A runner takes a due job by moving ``next_due_at`` forward with a conditional
    UPDATE; only one of two concurrent runners changes the row, and only it runs the job.
    ``outcome``: ``running``, ``ok`` or ``failed`` (``message`` says what happened)."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    runs: Mapped[int] = mapped_column(default=0, server_default="0")
    outcome: Mapped[str | None] = mapped_column(String(10))
    message: Mapped[str | None] = mapped_column(String(500))
