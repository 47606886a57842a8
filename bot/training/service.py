"""Retraining from the console: a background job trains a candidate model, evaluates it against the
active one, and an admin activates it (every Rasa process then fetches it) or rolls it back.

One job at a time: a running job holds the single value of the unique ``slot`` column, so a second
start fails in the database even across app instances. The training is ``rasa train`` in
``.venv-rasa`` as a child process (the same call as ``scripts/train.sh``, with the approved staged
examples as one more ``--data`` file), its output kept as the job's log tail. The result is cached
by a hash of its inputs in the model cache, like ``scripts/train.sh``: unchanged inputs do not train
again.

Evaluation measures both models the same way: each case of the evaluation set is parsed with Rasa's
``/model/parse`` (the active model on the running Rasa server, the candidate on a temporary Rasa
server on a free port) and what the assistant would do is decided as :func:`bot.tuning.decide` does
(the FallbackClassifier's threshold from the training config): answered topic, or asked back.

The activated model is linked as ``<training_dir>/active.tar.gz`` (unless ``LOTSE_RASA_MODEL`` is
set). Rasa's processes do not get it pushed: each of them asks the app for the active model every
``LOTSE_RASA_MODEL_PULL_S`` seconds (:mod:`bot.training.model_server`) and loads it when it changed,
so an activation reaches every worker and every Rasa instance, and a restarted Rasa gets it too.
Activation waits until Rasa reports the new model; if it never does, the link is put back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import PROJECT_ROOT, Settings
from bot.db import utcnow
from bot.evaluation import CRISIS, Case, eval_topic, load_cases
from bot.insights.staging import export_yaml
from bot.rasa_config import (
    ASSISTANT_DIR,
    RASA_VENV,
    active_model,
    current_model,
    rasa_env,
    rasa_server_command,
    rasa_urls,
)
from bot.training.models import RUNNING, JobStatus, TrainingJob

log = logging.getLogger(__name__)

DIALOGUES_DIR = PROJECT_ROOT / "dialogues"
LOG_LINES = 40
LOG_UPDATE_S = 2.0
RUNNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
"""host:pid:token of this app process (the token tells a restarted process with the same pid apart)."""
HEARTBEAT_S = 30.0
STALE_AFTER = timedelta(minutes=5)
"""A running job whose process has not written its heartbeat for this long is taken as dead (an app
instance that is gone for good, e.g. a replaced container with a new host name)."""


class TrainingError(Exception):
    """A request the job's state does not allow (HTTP 409)."""


class WorseModel(TrainingError):
    """The candidate is less accurate than the active model and no override was given."""


class RasaLoadFailed(Exception):
    """Rasa did not load the model (HTTP 503); the previous activation stays."""


# ---------------------------------------------------------------------- the active model


def active_link(settings: Settings) -> Path:
    return settings.training_dir / "active.tar.gz"


def _link_active(settings: Settings, model: Path | None) -> None:
    """Point ``active.tar.gz`` at ``model`` atomically (a new link renamed over the old one), or
    remove it (``None``)."""
    link = active_link(settings)
    if model is None:
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".active-{os.getpid()}-{threading.get_ident()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(model.resolve())
    os.replace(tmp, link)


LOAD_TIMEOUT_S = 300.0
"""How long a Rasa process may take to load a model once it has fetched it."""


def wait_until_rasa_runs(settings: Settings, model: Path, *, timeout_s: float | None = None) -> None:
    """Block until the running Rasa reports ``model`` in ``/status``: it fetched it (within
    ``LOTSE_RASA_MODEL_PULL_S``) and loaded it. Other workers and instances fetch it on their own
    schedule within the same time. Raises :class:`RasaLoadFailed`."""
    limit = timeout_s if timeout_s is not None else settings.rasa_model_pull_s * 2 + LOAD_TIMEOUT_S
    deadline = time.monotonic() + limit
    params = {"token": settings.secret("rasa_token")}
    waiting = [f"{url}/status" for url in rasa_urls(settings)]  # every Rasa server of this instance
    last = "no answer"
    while True:
        for url in list(waiting):
            try:
                response = httpx.get(url, params=params, timeout=10.0)
                if response.status_code == 200 and response.json().get("model_file") == model.resolve().name:
                    waiting.remove(url)
                    continue
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            except (httpx.HTTPError, ValueError) as exc:
                last = type(exc).__name__
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise RasaLoadFailed(f"Rasa did not load the model within {limit:.0f} s (last: {last})")
        time.sleep(0.5)


def switch_model(
    settings: Settings, model: Path, *, wait: Callable[[Settings, Path], None] | None = None
) -> None:
    """Make ``model`` the active one and wait until Rasa runs it; if it does not, the previous
    activation is restored (so the Rasa processes go back to, or stay on, the previous model)."""
    before = active_model(settings)
    _link_active(settings, model)
    try:
        (wait or wait_until_rasa_runs)(settings, model)
    except RasaLoadFailed:
        _link_active(settings, before)
        raise


# ---------------------------------------------------------------------- jobs


def start_job(session: Session, *, started_by_id: int | None) -> TrainingJob:
    """A new queued job; :class:`TrainingError` if one is still running (one at a time). A running
    job without a heartbeat for :data:`STALE_AFTER` is marked failed first."""
    fail_stale(session)
    if session.scalar(select(TrainingJob.id).where(TrainingJob.status.in_(RUNNING)).limit(1)) is not None:
        raise TrainingError("a training is already running")
    job = TrainingJob(
        status=JobStatus.QUEUED, started_by_id=started_by_id, slot=1, runner=RUNNER, heartbeat_at=utcnow()
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError as exc:
        raise TrainingError("a training is already running") from exc
    return job


def _finish(job: TrainingJob, status: JobStatus, *, error: str | None = None) -> None:
    job.status, job.slot, job.finished_at = status, None, utcnow()
    if error is not None:
        job.error = error[:1000]


INTERRUPTED = "interrupted: the app process running the job stopped"


def fail_stale(session: Session) -> int:
    """Mark running jobs without a heartbeat for :data:`STALE_AFTER` as failed."""
    limit = utcnow() - STALE_AFTER
    stale = session.scalars(
        select(TrainingJob).where(TrainingJob.status.in_(RUNNING), TrainingJob.heartbeat_at < limit)
    ).all()
    for job in stale:
        _finish(job, JobStatus.FAILED, error=INTERRUPTED)
    session.flush()
    return len(stale)


def recover_interrupted(session: Session) -> int:
    """Called when the app starts: mark jobs as failed whose process is gone — on this host, an
    earlier process (dead pid, or this pid with another token: a restarted container), or any job
    without a heartbeat for :data:`STALE_AFTER`. Live jobs of other processes are left alone."""
    host = socket.gethostname()
    failed = fail_stale(session)
    for job in session.scalars(select(TrainingJob).where(TrainingJob.status.in_(RUNNING))):
        parts = (job.runner or "").rsplit(":", 2)
        if job.runner == RUNNER or (len(parts) == 3 and parts[0] != host):
            continue
        if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) != os.getpid() and _alive(int(parts[1])):
            continue
        _finish(job, JobStatus.FAILED, error=INTERRUPTED)
        failed += 1
    session.flush()
    return failed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worse(evaluation: dict[str, Any] | None) -> bool:
    """Whether the candidate is worse than the active model overall (or could not be compared)."""
    if not evaluation or not evaluation.get("new"):
        return True
    old = evaluation.get("old")
    if not old:
        return True
    return float(evaluation["new"]["accuracy"]) < float(old["accuracy"])


def check_activation(job: TrainingJob, *, override: bool = False) -> None:
    """:class:`TrainingError` unless the job may be activated: a ready (or rolled back) job with its
    model file; a candidate worse than the active model overall (or without a comparison) needs
    ``override`` (:class:`WorseModel`)."""
    if job.status not in (JobStatus.READY, JobStatus.ROLLED_BACK) or not job.model_path:
        raise TrainingError(f"a {job.status.value} job cannot be activated")
    if _worse(job.evaluation) and not override:
        raise WorseModel("the new model is less accurate than the active one: confirm with override")
    if not Path(job.model_path).exists():
        raise TrainingError("the model file is gone")


def activate(
    session: Session,
    settings: Settings,
    job: TrainingJob,
    *,
    user_id: int | None,
    override: bool = False,
    load: Callable[[Settings, Path], None] | None = None,
) -> TrainingJob:
    """Make the job's model the active one (``active.tar.gz``), which every Rasa process then loads;
    returns once Rasa runs it. The model active before is kept in the job for :func:`roll_back`."""
    check_activation(job, override=override)
    assert job.model_path is not None
    model = Path(job.model_path)
    previous = current_model(settings)
    switch_model(settings, model, wait=load)
    for other in session.scalars(select(TrainingJob).where(TrainingJob.status == JobStatus.ACTIVATED)):
        if other.id != job.id:
            other.status = JobStatus.READY  # superseded; it may be activated again
    job.status, job.override = JobStatus.ACTIVATED, override
    job.previous_model = str(previous) if previous and previous.resolve() != model.resolve() else None
    job.activated_by_id, job.activated_at, job.rolled_back_at = user_id, utcnow(), None
    session.flush()
    return job


def check_rollback(job: TrainingJob) -> None:
    if job.status != JobStatus.ACTIVATED:
        raise TrainingError(f"a {job.status.value} job cannot be rolled back")
    if not job.previous_model or not Path(job.previous_model).exists():
        raise TrainingError("the previous model is not available")


def roll_back(
    session: Session,
    settings: Settings,
    job: TrainingJob,
    *,
    load: Callable[[Settings, Path], None] | None = None,
) -> TrainingJob:
    """Load the model that was active before this job's activation again."""
    check_rollback(job)
    assert job.previous_model is not None
    previous = Path(job.previous_model)
    switch_model(settings, previous, wait=load)
    job.status, job.rolled_back_at = JobStatus.ROLLED_BACK, utcnow()
    session.flush()
    return job


# ---------------------------------------------------------------------- training


def job_dir(settings: Settings, job_id: int) -> Path:
    return settings.training_dir / f"job-{job_id}"


def _input_key(settings: Settings, staged: str) -> str:
    """Hash of everything that goes into the model (as ``scripts/train.sh`` computes its cache key)."""
    digest = hashlib.sha256()
    files = [
        *sorted(settings.training_nlu_dir.rglob("*.yml")),
        *sorted(DIALOGUES_DIR.rglob("*.yml")),
        *sorted((ASSISTANT_DIR / "domain").rglob("*.yml")),
        settings.training_config,
        PROJECT_ROOT / "requirements" / "rasa.txt",
        PROJECT_ROOT / "requirements" / "rasa-constraints.txt",
    ]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(staged.encode())
    return digest.hexdigest()[:32]


def training_command(settings: Settings, *, data: list[Path], out: Path, name: str) -> list[str]:
    """The ``rasa train`` call of ``scripts/train.sh`` with the job's data, output and name."""
    return [
        str(RASA_VENV / "bin" / "rasa"),
        "train",
        "--config",
        str(settings.training_config),
        "--domain",
        str(ASSISTANT_DIR / "domain"),
        "--data",
        *map(str, data),
        "--out",
        str(out),
        "--fixed-model-name",
        name,
        "--num-threads",
        "2",
    ]


_procs: dict[int, subprocess.Popen[str]] = {}
_procs_lock = threading.Lock()


def stop_all() -> None:
    """Stop running trainings and temporary evaluation servers of this process (app shutdown)."""
    with _procs_lock:
        procs = list(_procs.values())
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)


def _spawn(key: int, command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(  # noqa: S603 - our own command line
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    with _procs_lock:
        _procs[key] = proc
    return proc


def _forget(key: int) -> None:
    with _procs_lock:
        _procs.pop(key, None)


def _update(sessions: sessionmaker[Session], job_id: int, **values: Any) -> None:
    with sessions.begin() as session:
        session.execute(update(TrainingJob).where(TrainingJob.id == job_id).values(**values))


def _train(
    sessions: sessionmaker[Session], settings: Settings, job_id: int, data: list[Path], work: Path
) -> Path:
    """Run ``rasa train`` and return the model; the log tail goes to the job row as it runs."""
    name = f"lotse-job-{job_id}"
    command = training_command(settings, data=data, out=work, name=name)
    env = rasa_env(settings)
    tail: deque[str] = deque(maxlen=LOG_LINES)
    proc = _spawn(job_id, command, cwd=work, env=env)
    timer = threading.Timer(settings.training_timeout_s, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    last = 0.0
    try:
        with (work / "train.log").open("w", encoding="utf-8") as log_file:
            assert proc.stdout is not None
            for line in proc.stdout:
                log_file.write(line)
                line = line.rstrip()
                if line:
                    tail.append(line[:300])
                if time.monotonic() - last > LOG_UPDATE_S:
                    last = time.monotonic()
                    _update(sessions, job_id, log_tail="\n".join(tail))
        code = proc.wait()
    finally:
        timer.cancel()
        _forget(job_id)
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    _update(sessions, job_id, log_tail="\n".join(tail))
    model = work / f"{name}.tar.gz"
    if code != 0 or not model.exists():
        raise RuntimeError(f"rasa train ended with exit code {code}")
    return model


def _heartbeat(sessions: sessionmaker[Session], job_id: int, done: threading.Event) -> None:
    while not done.wait(HEARTBEAT_S):
        try:
            _update(sessions, job_id, heartbeat_at=utcnow())
        except Exception:  # a busy database: the next beat tries again
            log.warning("training job %d: heartbeat not written", job_id, exc_info=True)


def run_job(sessions: sessionmaker[Session], settings: Settings, job_id: int) -> None:
    """The whole job (in a background thread): export, train (or take from the cache), evaluate."""
    done = threading.Event()
    threading.Thread(target=_heartbeat, args=(sessions, job_id, done), daemon=True).start()
    try:
        _run_job(sessions, settings, job_id)
    finally:
        done.set()


def _run_job(sessions: sessionmaker[Session], settings: Settings, job_id: int) -> None:
    work = job_dir(settings, job_id)
    try:
        work.mkdir(parents=True, exist_ok=True)
        with sessions.begin() as session:
            staged, count = export_yaml(session)
            job = session.get(TrainingJob, job_id)
            assert job is not None
            job.status, job.started_at, job.staged_examples = JobStatus.TRAINING, utcnow(), count
        data = [settings.training_nlu_dir, DIALOGUES_DIR]
        if count:
            (work / "staged").mkdir(exist_ok=True)
            (work / "staged" / "staged.yml").write_text(staged, encoding="utf-8")
            data.insert(1, work / "staged")
        key = _input_key(settings, staged if count else "")
        cached = settings.model_cache_dir / f"retrain-{key}.tar.gz"
        model = work / f"lotse-job-{job_id}.tar.gz"
        if cached.exists():
            shutil.copyfile(cached, model)
            _update(
                sessions, job_id, log_tail=f"model inputs unchanged: taken from the cache ({cached.name})"
            )
        else:
            model = _train(sessions, settings, job_id, data, work)
            settings.model_cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            shutil.copyfile(model, tmp)
            os.replace(tmp, cached)
        _update(sessions, job_id, status=JobStatus.EVALUATING, model_path=str(model))
        evaluation = evaluate(settings, model)
        _update(
            sessions,
            job_id,
            status=JobStatus.READY,
            evaluation=evaluation,
            slot=None,
            finished_at=utcnow(),
        )
    except Exception as exc:  # the job fails; the app goes on
        log.exception("training job %d failed", job_id)
        _update(
            sessions,
            job_id,
            status=JobStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:1000],
            slot=None,
            finished_at=utcnow(),
        )


def start_background(sessions: sessionmaker[Session], settings: Settings, job_id: int) -> threading.Thread:
    thread = threading.Thread(
        target=run_job, args=(sessions, settings, job_id), name=f"training-{job_id}", daemon=True
    )
    thread.start()
    return thread


# ---------------------------------------------------------------------- evaluation


def fallback_threshold(config: Path) -> tuple[float, float, dict[str, float]]:
    """The fallback classifier's (threshold, ambiguity_threshold, intent_thresholds) of a Rasa config:
    Rasa's ``FallbackClassifier`` or Lotse's ``TieredFallbackClassifier`` (a threshold per intent)."""
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    for component in data.get("pipeline") or []:
        name = str(component.get("name") or "").split(".")[-1]
        if name in ("FallbackClassifier", "TieredFallbackClassifier"):
            per_intent = {str(k): float(v) for k, v in (component.get("intent_thresholds") or {}).items()}
            return (
                float(component.get("threshold", 0.3)),
                float(component.get("ambiguity_threshold", 0.1)),
                per_intent,
            )
    return 0.0, 0.0, {}


def _metrics(rows: list[tuple[Case, str]]) -> dict[str, Any]:
    n = len(rows)
    right = sum(predicted == case.topic for case, predicted in rows)
    asked = sum(predicted == "asked_back" for _, predicted in rows)
    return {
        "n": n,
        "accuracy": round(right / n, 4) if n else 0.0,
        "asked_back": round(asked / n, 4) if n else 0.0,
        "wrong": round((n - right - asked) / n, 4) if n else 0.0,
    }


def summarize(rows: list[tuple[Case, str]]) -> dict[str, Any]:
    """Accuracy overall, per language and per topic of (case, predicted topic or ``asked_back``)."""
    by_language: dict[str, list[tuple[Case, str]]] = {}
    by_topic: dict[str, list[tuple[Case, str]]] = {}
    for row in rows:
        by_language.setdefault(row[0].lang, []).append(row)
        by_topic.setdefault(row[0].topic, []).append(row)
    return {
        **_metrics(rows),
        "by_language": {k: _metrics(v) for k, v in sorted(by_language.items())},
        "by_topic": {k: _metrics(v) for k, v in sorted(by_topic.items())},
    }


def predict_all(
    rasa_url: str,
    token: str,
    cases: list[Case],
    *,
    threshold: float,
    ambiguity: float,
    per_intent: dict[str, float] | None = None,
) -> list[tuple[Case, str]]:
    """Each question's answered topic (or ``asked_back``) from the model behind ``rasa_url``."""
    from bot.rasa_client import RasaClient
    from bot.tuning import decide, parse_all

    client = RasaClient(base_url=rasa_url, token=token, timeout_s=60)
    parsed = asyncio.run(parse_all(client, cases, concurrency=2))
    out = []
    for p in parsed:
        topic, offered = decide(p, threshold, ambiguity, per_intent)
        out.append((p.case, "asked_back" if offered is not None else eval_topic(topic)))
    return out


def _free_port() -> int:
    from bot.stack import free_port

    return free_port()


def temporary_rasa(settings: Settings, model: Path, key: int) -> tuple[subprocess.Popen[str], str]:
    """A Rasa server with only its HTTP API and ``model``, on a free loopback port."""
    port = _free_port()
    command = rasa_server_command(model, "127.0.0.1", port)
    env = rasa_env(settings) | {"SANIC_WORKERS": "1"}
    proc = _spawn(key, command, cwd=model.parent, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the evaluation Rasa server exited with {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            status = httpx.get(f"{url}/status", params={"token": settings.secret("rasa_token")}, timeout=2)
            if status.status_code == 200 and status.json().get("model_file"):
                return proc, url
        time.sleep(1)
    raise TimeoutError("the evaluation Rasa server did not start")


def _drain(proc: subprocess.Popen[str]) -> None:
    """Read the temporary server's output so that a full pipe never blocks it."""
    if proc.stdout is not None:
        with proc.stdout:
            for _ in proc.stdout:
                pass


def evaluate(settings: Settings, model: Path) -> dict[str, Any]:
    """Old (the running Rasa) against new (``model`` on a temporary Rasa) on the evaluation set."""
    cases = [c for c in load_cases(settings.training_eval_path) if c.topic != CRISIS]
    threshold, ambiguity, per_intent = fallback_threshold(settings.training_config)
    token = settings.secret("rasa_token")
    key = -abs(hash(model)) - 1
    proc, url = temporary_rasa(settings, model, key)
    threading.Thread(target=_drain, args=(proc,), daemon=True).start()
    try:
        new = summarize(
            predict_all(url, token, cases, threshold=threshold, ambiguity=ambiguity, per_intent=per_intent)
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        _forget(key)
    try:
        old: dict[str, Any] | None = summarize(
            predict_all(
                settings.rasa_url,
                token,
                cases,
                threshold=threshold,
                ambiguity=ambiguity,
                per_intent=per_intent,
            )
        )
        old_error = None
    except Exception as exc:  # Rasa down: no comparison, activation then needs the override
        old, old_error = None, f"{type(exc).__name__}: {exc}"[:300]
    previous = current_model(settings)
    return {
        "set": str(settings.training_eval_path),
        "threshold": threshold,
        "ambiguity": ambiguity,
        "old_model": str(previous) if previous else None,
        "old": old,
        "old_error": old_error,
        "new": new,
    }
