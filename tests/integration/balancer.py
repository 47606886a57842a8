"""A round-robin reverse proxy for tests: what nginx or HAProxy do in front of several app instances.

Each request goes to the next backend. A backend that refuses the connection is skipped and the
request goes to the next one (nginx' ``proxy_next_upstream error``); once a request has reached a
backend it is never sent to a second one (nginx does not repeat non-idempotent requests either) —
if that backend dies before answering, the caller gets 502 and tries again later, as Telegram does
with a webhook delivery. ``counts`` tells how many answers each backend gave.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class Balancer:
    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.counts: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def order(self) -> list[str]:
        with self._lock:
            start = next(self._turn) % len(self.backends)
        return self.backends[start:] + self.backends[:start]

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        for backend in self.order():
            try:
                with httpx.Client(timeout=120) as http:
                    response = http.request(method, f"{backend}{path}", headers=headers, content=body)
            except httpx.ConnectError:
                with self._lock:
                    self.failures[backend] += 1
                continue  # nothing reached this backend: the next one may take it
            except httpx.HTTPError:
                with self._lock:
                    self.failures[backend] += 1
                return 502, b"backend died while answering"
            with self._lock:
                self.counts[backend] += 1
            return response.status_code, response.content
        return 502, b"no backend reachable"


@contextmanager
def balancer(port: int, backends: list[str]) -> Iterator[Balancer]:
    """Serve a :class:`Balancer` on 127.0.0.1:``port`` until the block ends."""
    state = Balancer(backends)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            code, content = state.forward("POST", self.path, headers, body)
            self.send_response(code)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
