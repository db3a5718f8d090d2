"""A loopback TCP proxy that can drop a connection after the server has answered.

    with DroppingProxy(server.port, drop_after=b"POST /v1/sync/push", times=1) as proxy:
        ... talk to proxy.base_url ...

For the first `times` requests whose bytes contain `drop_after`, the proxy forwards the request,
waits until the server starts answering (so the server has done its work and committed), then
closes the client's connection without passing the answer on: the client sees a dropped
connection exactly where a lost answer hurts most.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class DroppingProxy:
    def __init__(self, upstream_port: int, *, drop_after: bytes, times: int = 1) -> None:
        self.upstream_port = upstream_port
        self.drop_after = drop_after
        self.left = times
        self.dropped = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> DroppingProxy:
        self._start(self._accept)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def _start(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            state = {"drop": False}
            self._start(self._pump_requests, client, upstream, state)
            self._start(self._pump_answers, upstream, client, state)

    def _pump_requests(self, client: socket.socket, upstream: socket.socket,
                       state: dict[str, bool]) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if self.drop_after in data:
                    with self._lock:
                        if self.left > 0:
                            self.left -= 1
                            state["drop"] = True
                upstream.sendall(data)
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_WR)

    def _pump_answers(self, upstream: socket.socket, client: socket.socket,
                      state: dict[str, bool]) -> None:
        with contextlib.suppress(OSError):
            while data := upstream.recv(65536):
                if state["drop"]:
                    with self._lock:
                        self.dropped += 1
                    break
                client.sendall(data)
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
