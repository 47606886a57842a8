"""``/healthz`` (alive), ``/readyz`` (database, Rasa and its model) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import hmac
from ipaddress import ip_address
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from bot.threads import in_thread

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, object]:
    """Liveness, and whether Rasa answers (always 200 while the app runs)."""
    return {"ok": True, "rasa": await request.app.state.assistant.rasa.healthy()}


def _database_ok(request: Request) -> bool:
    try:
        with request.app.state.assistant.sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"description": "Not ready: the database or Rasa (with a model) is missing"}
}


@router.get("/readyz", responses=NOT_READY)
async def readyz(request: Request) -> JSONResponse:
    """Ready to answer: the database answers and Rasa is up with a model loaded; otherwise 503."""
    checks = {
        "database": await in_thread(_database_ok, request),
        "rasa": await request.app.state.assistant.rasa.healthy(),
    }
    ready = all(checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


def _allowed(request: Request, authorization: str | None) -> bool:
    host = request.client.host if request.client else ""
    try:
        if ip_address(host).is_loopback:
            return True
    except ValueError:
        pass
    token = request.app.state.settings.metrics_token
    if token is None or not authorization:
        return False
    expected = f"Bearer {token.get_secret_value()}"
    return hmac.compare_digest(authorization.encode(), expected.encode())


FORBIDDEN: dict[int | str, dict[str, Any]] = {403: {"description": "Not loopback and no valid token"}}


@router.get("/metrics", response_class=Response, responses=FORBIDDEN)
async def prometheus_metrics(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """Prometheus text format: counters and histograms of this instance, queue gauges from the database."""
    if not _allowed(request, authorization):
        raise HTTPException(status_code=403, detail="metrics are for loopback or with the metrics token")
    body = await in_thread(generate_latest, request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
