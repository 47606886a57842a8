"""Start and stop the whole stack (Rasa, action server, app) as child processes.

``make run`` uses honcho and the Procfile; ``lotse eval``, ``lotse bench`` and the integration
tests use this module, which runs the same ``lotse run <process>`` commands on free ports with
their own databases, so they never touch the data of a running installation.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from bot.config import PROJECT_ROOT

PROCESSES = ("rasa", "actions", "app")


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports (for several Rasa servers)."""
    for _ in range(100):
        first = free_port()
        sockets: list[socket.socket] = []
        try:
            for port in range(first, first + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(s)
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


def lotse_executable() -> str:
    candidate = Path(sys.executable).with_name("lotse")
    return str(candidate) if candidate.exists() else "lotse"


@dataclass
class Stack:
    """A running stack; use as a context manager."""

    env: dict[str, str]
    workdir: Path
    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    cpus: frozenset[int] | None = None
    """Cores the processes may run on (all when ``None``): ``lotse bench --server-cpus`` keeps the
    stack off the load generator's core, so that overload is measured and not the generator."""

    @property
    def app_url(self) -> str:
        return self.env["LOTSE_APP_URL"]

    @property
    def rasa_url(self) -> str:
        return self.env["LOTSE_RASA_URL"]

    @property
    def rasa_urls(self) -> list[str]:
        """Every Rasa server of the stack (several only without Redis, see ``bot.rasa_config``)."""
        servers = 1 if self.env.get("LOTSE_REDIS_URL") else int(self.env.get("LOTSE_RASA_WORKERS", "1"))
        first = int(self.env["LOTSE_RASA_PORT"])
        return [f"http://127.0.0.1:{port}" for port in range(first, first + servers)]

    @classmethod
    def create(
        cls,
        *,
        extra_env: Mapping[str, str] | None = None,
        workdir: Path | None = None,
        cpus: frozenset[int] | None = None,
    ) -> Stack:
        """Prepare environment, databases and ports (nothing is started yet)."""
        (PROJECT_ROOT / "var").mkdir(exist_ok=True)
        work = workdir or Path(tempfile.mkdtemp(prefix="lotse-stack-", dir=PROJECT_ROOT / "var"))
        work.mkdir(parents=True, exist_ok=True)
        app_port, rasa_port, action_port = free_port(), free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOTSE_")}
        env.update(
            {
                "LOTSE_ENV": "development",
                "LOTSE_DATABASE_URL": f"sqlite:///{work / 'lotse.db'}",
                "LOTSE_RASA_TRACKER_URL": f"sqlite:///{work / 'rasa_tracker.db'}",
                "LOTSE_APP_PORT": str(app_port),
                "LOTSE_APP_URL": f"http://127.0.0.1:{app_port}",
                "LOTSE_RASA_PORT": str(rasa_port),
                "LOTSE_RASA_URL": f"http://127.0.0.1:{rasa_port}",
                "LOTSE_ACTION_PORT": str(action_port),
                "LOTSE_ENDPOINTS_FILE": str(work / "endpoints.yml"),
                "LOTSE_RETRY_INTERVAL_S": "1",
                # evaluation, benchmarks and tests send thousands of messages from one address
                "LOTSE_RATE_LIMITS_ENABLED": "false",
                "LOTSE_ARGOS_PACKAGES_DIR": str(work / "argos-packages"),
                # retraining from the console keeps its models and 'active' link in the stack's own directory
                "LOTSE_TRAINING_DIR": str(work / "training"),
            }
        )
        env.update(extra_env or {})
        if "LOTSE_RASA_WORKERS" not in env and not env.get("LOTSE_REDIS_URL"):
            env["LOTSE_RASA_WORKERS"] = "1"  # one Rasa server unless a test or benchmark asks for more
        servers = 1 if env.get("LOTSE_REDIS_URL") else int(env["LOTSE_RASA_WORKERS"])
        if servers > 1:  # one Rasa server per port from LOTSE_RASA_PORT on (bot/rasa_config.py)
            first = free_ports(servers)
            env.update({"LOTSE_RASA_PORT": str(first), "LOTSE_RASA_URL": f"http://127.0.0.1:{first}"})
        return cls(env=env, workdir=work, log_dir=work, cpus=cpus)

    def prepare(self) -> None:
        """Migrate and seed the stack's database."""
        # its report goes to stderr (fd 2): stdout of `lotse eval --json` and `lotse bench --json` stays JSON
        subprocess.run(  # noqa: S603
            [lotse_executable(), "prepare"], env=self.env, check=True, cwd=PROJECT_ROOT, stdout=2
        )

    def start(self, name: str) -> None:
        """Start one process (``rasa``, ``actions`` or ``app``)."""
        cpus = self.cpus
        with (self.log_dir / f"{name}.log").open("ab") as log:
            self.procs[name] = subprocess.Popen(  # noqa: S603 - our own executable
                [lotse_executable(), "run", name],
                env=self.env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
            )

    def stop(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        """Stop one process and its children (``SIGKILL`` simulates a crash)."""
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def wait_ready(self, names: tuple[str, ...] = PROCESSES, timeout: float = 240.0) -> None:
        """Block until the named processes answer."""
        rasa_token = self.env.get("LOTSE_RASA_TOKEN", "dev-rasa-token-change-me")
        checks = {
            "rasa": lambda: all(
                _ok(f"{url}/status?token={rasa_token}", key="model_file") for url in self.rasa_urls
            ),
            "actions": lambda: _ok(f"http://127.0.0.1:{self.env['LOTSE_ACTION_PORT']}/health"),
            "app": lambda: _ok(f"{self.app_url}/healthz"),
        }
        deadline = time.monotonic() + timeout
        pending = list(names)
        while pending:
            for name in list(pending):
                proc = self.procs.get(name)
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}"
                    )
                if checks[name]():
                    pending.remove(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout}s: {pending}; logs in {self.log_dir}")
            if pending:
                time.sleep(0.5)

    def __enter__(self) -> Stack:
        self.prepare()
        for name in PROCESSES:
            self.start(name)
        self.wait_ready()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for name in reversed(PROCESSES):
            self.stop(name)


def _ok(url: str, *, key: str | None = None) -> bool:
    try:
        response = httpx.get(url, timeout=2.0)
    except httpx.HTTPError:
        return False
    if response.status_code != 200:
        return False
    return key is None or bool(response.json().get(key))


@contextlib.contextmanager
def running_stack(
    extra_env: Mapping[str, str] | None = None, cpus: frozenset[int] | None = None
) -> Iterator[Stack]:
    """A fresh stack for the duration of the block (its processes on ``cpus`` when given)."""
    with Stack.create(extra_env=extra_env, cpus=cpus) as stack:
        yield stack
