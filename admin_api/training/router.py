"""Retraining (administrators only): JSON API under ``/api/admin/training`` and the page
``/inbox/training``. Starting, activating and rolling back are audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_api.audit.service import audit
from admin_api.dependencies import AdminOnly, CurrentUser, admin_page_user
from admin_api.insights.router import _names
from admin_api.training.schemas import ActivateIn, JobOut
from bot.pipeline import Assistant
from bot.rasa_config import current_model
from bot.training import service
from bot.training.models import RUNNING, JobStatus, TrainingJob
from bot.web.dependencies import IdPath, SessionDep, SettingsDep
from bot.web.errors import ADMIN_ONLY, errors

_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=[_HERE / "templates", _HERE.parent / "inbox" / "templates"])
router = APIRouter(prefix="/training", tags=["training"], dependencies=[AdminOnly], responses=ADMIN_ONLY)
pages = APIRouter(prefix="/inbox/training", include_in_schema=False)


def jobs_out(session: Session, jobs: list[TrainingJob]) -> list[JobOut]:
    names = _names(session, {j.started_by_id for j in jobs} | {j.activated_by_id for j in jobs})
    return [
        JobOut(
            id=j.id,
            status=j.status.value,
            started_by=names.get(j.started_by_id or 0),
            created_at=j.created_at,
            started_at=j.started_at,
            finished_at=j.finished_at,
            staged_examples=j.staged_examples,
            model_path=j.model_path,
            log_tail=j.log_tail,
            error=j.error,
            evaluation=j.evaluation,
            worse=service._worse(j.evaluation) if j.evaluation else None,
            previous_model=j.previous_model,
            override=j.override,
            activated_by=names.get(j.activated_by_id or 0),
            activated_at=j.activated_at,
            rolled_back_at=j.rolled_back_at,
        )
        for j in jobs
    ]


def _job(session: Session, job_id: int) -> TrainingJob:
    job = session.get(TrainingJob, job_id)
    if job is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such training job")
    return job


def _listing(session: Session, limit: int = 20) -> list[TrainingJob]:
    return list(session.scalars(select(TrainingJob).order_by(TrainingJob.id.desc()).limit(limit)))


@router.get("/jobs")
def list_jobs(session: SessionDep) -> list[JobOut]:
    """The last 20 training jobs, newest first."""
    return jobs_out(session, _listing(session))


@router.post("/jobs", status_code=status.HTTP_201_CREATED, responses=errors(409))
def start(request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> JobOut:
    """Train a new model in the background from the repository's data plus the approved staged
    examples, then evaluate it against the active model. One job at a time (409 while one runs)."""
    try:
        job = service.start_job(session, started_by_id=user.id)
    except service.TrainingError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    audit(session, user=user, action="training_started", detail={"job": job.id})
    out = jobs_out(session, [job])[0]
    session.commit()  # the job's thread reads the row
    assistant: Assistant = request.app.state.assistant
    service.start_background(assistant.sessions, settings, job.id)
    return out


@router.get("/jobs/{job_id}", responses=errors(404))
def get_job(session: SessionDep, job_id: IdPath) -> JobOut:
    """One job: status, log tail, evaluation (polled by the page while it runs)."""
    return jobs_out(session, [_job(session, job_id)])[0]


def _switch(session: Session, *, check: Callable[[], object], switch: Callable[[], object]) -> None:
    """Check, end the transaction (SQLite: no write lock while Rasa loads a model), then switch the
    model; 409 when the check fails, 503 when Rasa does not load the model."""
    try:
        check()
        session.commit()
        switch()
    except service.TrainingError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except service.RasaLoadFailed as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc


@router.post("/jobs/{job_id}/activate", responses=errors(400, 404, 409, 503))
def activate(
    session: SessionDep, settings: SettingsDep, user: CurrentUser, job_id: IdPath, body: ActivateIn
) -> JobOut:
    """Make the job's model the active one; every Rasa process fetches and loads it (answering with
    the old model meanwhile), and the answer comes once Rasa runs it (503 if it does not). 409 when
    the job is not ready, or when the new model is less accurate overall than the active one and
    ``override`` is not set."""
    job = _job(session, job_id)
    _switch(
        session,
        check=lambda: service.check_activation(job, override=body.override),
        switch=lambda: service.activate(session, settings, job, user_id=user.id, override=body.override),
    )
    audit(
        session,
        user=user,
        action="model_activated",
        detail={
            "job": job.id,
            "model": job.model_path,
            "previous": job.previous_model,
            "override": body.override,
        },
    )
    return jobs_out(session, [job])[0]


@router.post("/jobs/{job_id}/rollback", responses=errors(404, 409, 503))
def rollback(session: SessionDep, settings: SettingsDep, user: CurrentUser, job_id: IdPath) -> JobOut:
    """Load the model that was active before this job's activation again."""
    job = _job(session, job_id)
    _switch(
        session,
        check=lambda: service.check_rollback(job),
        switch=lambda: service.roll_back(session, settings, job),
    )
    audit(
        session,
        user=user,
        action="model_rolled_back",
        detail={"job": job.id, "model": job.previous_model, "from": job.model_path},
    )
    return jobs_out(session, [job])[0]


@pages.get("", response_class=HTMLResponse)
def training_page(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Start a retraining, follow it, compare old and new accuracy, activate or roll back."""
    user = admin_page_user(request, session)
    if isinstance(user, Response):
        return user
    jobs = jobs_out(session, _listing(session))
    from bot.insights.models import StagedExample, StagedStatus

    approved = len(
        session.scalars(select(StagedExample.id).where(StagedExample.status == StagedStatus.APPROVED)).all()
    )
    running = next((j for j in jobs if j.status in {s.value for s in RUNNING}), None)
    return templates.TemplateResponse(
        request,
        "training.html",
        {
            "is_admin": True,
            "jobs": jobs,
            "running": running,
            "approved": approved,
            "active": current_model(settings),
            "statuses": JobStatus,
        },
    )
