"""Several Rasa servers without Redis: ``lotse run rasa`` starts one per core and keeps them running.

Rasa runs several workers behind one port only with a lock store they share (Redis). Without Redis
(``make run`` on a laptop) Lotse instead starts one Rasa server per core, each on its own port
(:func:`bot.rasa_config.rasa_ports`), and the app sends every conversation to always the same one
(``RasaClient``). This module is the small supervisor that runs them as one Procfile process: it
restarts a server that dies (a crashed Rasa must not take the others down, and honcho or systemd
would otherwise restart all of them) and passes a stop signal on to all of them.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("lotse.rasa")

RESTART_DELAY_S = (1.0, 30.0)
"""First and longest wait before a server that died is started again (doubling while it keeps
dying within :data:`STABLE_S` of its start)."""
STABLE_S = 60.0
STOP_TIMEOUT_S = 20.0


@dataclass
class _Server:
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    delay: float = RESTART_DELAY_S[0]
    restart_at: float | None = None


class Supervisor:
    """Runs one process per command line until stopped; a process that exits is started again."""

    def __init__(
        self,
        commands: Sequence[list[str]],
        *,
        env: Mapping[str, str],
        cwd: Path,
    ) -> None:
        self._servers = [_Server(list(argv)) for argv in commands]
        self._env = dict(env)
        self._cwd = cwd
        self._stopping = False

    def _start(self, server: _Server) -> None:
        server.proc = subprocess.Popen(server.argv, env=self._env, cwd=self._cwd)  # noqa: S603
        server.started = time.monotonic()
        server.restart_at = None

    def stop(self, *_: object) -> None:
        """Stop every server (also the signal handler for SIGTERM and SIGINT)."""
        self._stopping = True

    def check(self) -> None:
        """One round: note servers that exited, start those whose wait is over."""
        now = time.monotonic()
        for index, server in enumerate(self._servers):
            if server.proc is not None and (code := server.proc.poll()) is not None:
                server.proc = None
                quick = now - server.started < STABLE_S
                server.delay = min(server.delay * 2, RESTART_DELAY_S[1]) if quick else RESTART_DELAY_S[0]
                server.restart_at = now + server.delay
                log.warning(
                    "Rasa server %d exited with %s; starting it again in %.0f s", index, code, server.delay
                )
            if server.proc is None and server.restart_at is not None and now >= server.restart_at:
                self._start(server)

    def run(self, *, poll_s: float = 0.5) -> int:
        """Start all servers, keep them running until :meth:`stop`, then stop them all."""
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for server in self._servers:
                self._start(server)
            while not self._stopping:
                self.check()
                time.sleep(poll_s)
        finally:
            self._terminate_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _terminate_all(self) -> None:
        running = [s.proc for s in self._servers if s.proc is not None and s.proc.poll() is None]
        for proc in running:
            proc.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
