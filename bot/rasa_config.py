"""Rasa's endpoint file and command lines, derived from Lotse's settings (one source of truth)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from bot.config import PROJECT_ROOT, Settings

RASA_VENV = PROJECT_ROOT / ".venv-rasa"
MODELS_DIR = PROJECT_ROOT / "models"
ASSISTANT_DIR = PROJECT_ROOT / "assistant"


def tracker_store(url: str) -> dict[str, Any]:
    """Rasa SQLTrackerStore settings from a SQLAlchemy-style URL."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return {"type": "SQL", "dialect": "sqlite", "db": url.split(":///", 1)[1]}
    if parts.scheme.startswith("postgres"):
        store: dict[str, Any] = {
            "type": "SQL",
            "dialect": "postgresql",
            "url": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "db": parts.path.lstrip("/") or "rasa",
            "username": parts.username or "postgres",
        }
        if parts.password:
            store["password"] = parts.password
        return store
    raise ValueError(f"unsupported tracker store URL scheme {parts.scheme!r}")


def endpoints(settings: Settings) -> dict[str, Any]:
    """The content of Rasa's endpoints.yml."""
    data: dict[str, Any] = {
        # a header, not Rasa's ``token`` (which it sends in the query string, where logs keep it)
        "nlg": {
            "url": f"{settings.app_url}/nlg",
            "headers": {"Authorization": f"Bearer {settings.secret('internal_token')}"},
        },
        "action_endpoint": {"url": f"http://127.0.0.1:{settings.action_port}/webhook"},
        "tracker_store": tracker_store(settings.rasa_tracker_url),
        # Rasa's model server: every Rasa process asks the app for the active model and loads a
        # new one itself (bot/training/model_server.py); the --model file is then not read
        "models": {
            "url": f"{settings.app_url}/internal/rasa-model",
            "headers": {"Authorization": f"Bearer {settings.secret('internal_token')}"},
            "wait_time_between_pulls": settings.rasa_model_pull_s,
        },
    }
    if settings.redis_url:
        parts = urlsplit(settings.redis_url)
        lock: dict[str, Any] = {
            "type": "redis",
            "url": parts.hostname or "127.0.0.1",
            "port": parts.port or 6379,
            "db": int(parts.path.lstrip("/") or 0),
            "key_prefix": "lotse",
        }
        if parts.password:
            lock["password"] = parts.password
        data["lock_store"] = lock
    return data


def write_endpoints(settings: Settings, path: Path) -> Path:
    """Write endpoints.yml (it holds the internal token, so only the owner may read it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints(settings), sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path


def active_model(settings: Settings, production: Path | None = None) -> Path | None:
    """The model activated in the console (``<training_dir>/active.tar.gz``), if its file exists —
    unless the production model (``production``, default the newest in ``models/``) was trained or
    deployed after the activation (``make train``, an upgrade): then that one wins, and an activated
    model built from older data does not outlive the upgrade."""
    link = settings.training_dir / "active.tar.gz"
    if not link.exists():
        return None
    production = production or latest_model()
    if production is not None and production.stat().st_mtime > link.lstat().st_mtime:
        return None
    return link.resolve()


def latest_model() -> Path | None:
    models = sorted(MODELS_DIR.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def current_model(settings: Settings) -> Path | None:
    """The model ``lotse run rasa`` starts and the app serves to Rasa: ``LOTSE_RASA_MODEL``, else the one
    activated in the console, else the newest production model."""
    return settings.rasa_model or active_model(settings) or latest_model()


RASA_LAUNCHER = PROJECT_ROOT / "scripts" / "rasa_run.py"
"""Starts Rasa with ``--auth-token`` taken from ``LOTSE_RASA_TOKEN`` inside the process: Rasa 3.6 reads
its API token only from that option, and a command line is visible to every user in ``ps``."""


def rasa_command(settings: Settings, endpoints_file: Path, port: int | None = None) -> list[str]:
    """Command line of a Rasa server (without its token: see :data:`RASA_LAUNCHER`), on ``port``
    (default ``LOTSE_RASA_PORT``; see :func:`rasa_ports`)."""
    model = current_model(settings)
    if model is None:
        raise FileNotFoundError("no trained model in models/: run `make train`")
    interface = urlsplit(settings.rasa_url).hostname or "127.0.0.1"
    return [
        *rasa_server_command(model, interface, settings.rasa_port if port is None else port),
        "--endpoints",
        str(endpoints_file),
        "--credentials",
        str(ASSISTANT_DIR / "credentials.yml"),
        "--response-timeout",
        str(int(settings.rasa_timeout_s)),
    ]


def rasa_server_command(model: Path, interface: str, port: int) -> list[str]:
    """A Rasa server with its HTTP API serving ``model`` (the token comes from the environment)."""
    return [
        str(RASA_VENV / "bin" / "python"),
        str(RASA_LAUNCHER),
        "run",
        "--enable-api",
        "--model",
        str(model),
        "--interface",
        interface,
        "--port",
        str(port),
    ]


def actions_command(settings: Settings) -> list[str]:
    """Command line of the Rasa SDK action server."""
    return [
        str(RASA_VENV / "bin" / "rasa"),
        "run",
        "actions",
        "--actions",
        "actions",
        "--port",
        str(settings.action_port),
    ]


def rasa_processes_wanted(settings: Settings) -> int:
    """How many Rasa processes in all: ``LOTSE_RASA_WORKERS``, else one per core. "Core" means a
    core this process may run on (a systemd ``CPUAffinity``, a container's cpuset or ``taskset``
    narrow it), not every core of the machine."""
    return settings.rasa_workers if settings.rasa_workers is not None else usable_cores()


def rasa_workers(settings: Settings) -> int:
    """Rasa's ``SANIC_WORKERS`` per Rasa server: all wanted processes with Redis, else 1.

    Several workers behind one port need a lock store they share (Redis): Rasa picks a worker per
    request, not per conversation. With its in-memory lock store Rasa warns and starts one."""
    return rasa_processes_wanted(settings) if settings.redis_url else 1


def rasa_servers(settings: Settings) -> int:
    """How many Rasa servers ``lotse run rasa`` starts, each on a port of its own: 1 with Redis
    (its workers share the port), else one per wanted process. Without Redis each conversation is
    routed by its sender to always the same server (:func:`rasa_urls`, ``RasaClient``), so Rasa's
    in-memory lock store, which only sees its own process, still serialises a conversation's turns;
    all servers share the tracker store."""
    return 1 if settings.redis_url else rasa_processes_wanted(settings)


def rasa_ports(settings: Settings) -> list[int]:
    """The ports the Rasa servers listen on: ``LOTSE_RASA_PORT`` and the ones after it."""
    return [settings.rasa_port + i for i in range(rasa_servers(settings))]


def rasa_urls(settings: Settings) -> list[str]:
    """Where the app reaches the Rasa servers: ``LOTSE_RASA_URL`` and, with several servers, the same
    host on the following ports (in the order of :func:`rasa_ports`)."""
    parts = urlsplit(settings.rasa_url.rstrip("/"))
    count = rasa_servers(settings)
    if count == 1:
        return [settings.rasa_url.rstrip("/")]
    first = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    return [urlunsplit(parts._replace(netloc=f"{host}:{first + i}")) for i in range(count)]


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)  # pragma: no cover - platforms without affinity


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for Rasa and the action server (the action server needs the app URL and token)."""
    env = dict(os.environ)
    env.update(
        {
            "SANIC_WORKERS": str(rasa_workers(settings)),
            "LOTSE_APP_URL": settings.app_url,
            "LOTSE_INTERNAL_TOKEN": settings.secret("internal_token"),
            "LOTSE_RASA_TOKEN": settings.secret("rasa_token"),
            "PYTHONPATH": str(PROJECT_ROOT),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "RASA_TELEMETRY_ENABLED": "false",
            "MPLCONFIGDIR": str(PROJECT_ROOT / "var" / "mpl"),
            # rasa-sdk listens on every interface unless told otherwise; the action server is
            # unauthenticated, so it only listens where Rasa runs.
            "SANIC_HOST": os.environ.get("LOTSE_ACTION_HOST", "127.0.0.1"),
        }
    )
    return env
