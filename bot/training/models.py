"""A retraining of the Rasa model, one row per job (see :mod:`bot.training.service`)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    TRAINING = "training"
    EVALUATING = "evaluating"
    READY = "ready"
    FAILED = "failed"
    ACTIVATED = "activated"
    ROLLED_BACK = "rolled_back"


RUNNING = (JobStatus.QUEUED, JobStatus.TRAINING, JobStatus.EVALUATING)
"""A job in one of these states blocks a new one (one training at a time)."""


class TrainingJob(Base):
    """One retraining: who started it, its state and times, the candidate model, the last lines of
    Rasa's training log, the evaluation of the candidate against the model active at that time, and
    (once activated) the model it replaced, which a roll back loads again."""

    __tablename__ = "training_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=16), default=JobStatus.QUEUED, index=True
    )
    started_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    staged_examples: Mapped[int] = mapped_column(Integer, default=0)
    model_path: Mapped[str | None] = mapped_column(String(1000), default=None)
    log_tail: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(String(1000), default=None)
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    previous_model: Mapped[str | None] = mapped_column(String(1000), default=None)
    override: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), default=None
    )
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    rolled_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    slot: Mapped[int | None] = mapped_column(
        Integer, unique=True, default=None, doc="1 while the job runs, else empty: one running job at a time."
    )
    runner: Mapped[str | None] = mapped_column(
        String(300), default=None, doc="host:pid:token of the app process running it (restart recovery)."
    )
    heartbeat_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=None, doc="Written every 30 s while the job runs."
    )
