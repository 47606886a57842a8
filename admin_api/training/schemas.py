"""Bodies of the retraining API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class JobOut(BaseModel):
    id: int
    status: str = Field(description="queued, training, evaluating, ready, failed, activated or rolled_back")
    started_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    staged_examples: int = Field(description="Approved staged examples that went into the training")
    model_path: str | None
    log_tail: str = Field(description="The last lines of Rasa's training output")
    error: str | None
    evaluation: dict[str, Any] | None = Field(
        description="Topic accuracy of the active model ('old') and the new one per language and topic"
    )
    worse: bool | None = Field(
        description="The new model is less accurate overall (activation needs override)"
    )
    previous_model: str | None
    override: bool
    activated_by: str | None
    activated_at: datetime | None
    rolled_back_at: datetime | None


class ActivateIn(BaseModel):
    override: bool = Field(
        default=False, description="Activate even though the new model is less accurate than the active one"
    )
