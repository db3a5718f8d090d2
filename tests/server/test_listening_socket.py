"""The socket `serve --workers N` shares is one asyncio recognises as TCP (so it sets
TCP_NODELAY on every connection instead of leaving each keep-alive answer ~40 ms late)."""

from __future__ import annotations

import socket

from sync_server.commands.listening import TcpConfig


def test_connections_on_the_shared_socket_are_tcp_so_asyncio_disables_nagle() -> None:
    config = TcpConfig("sync_server.app:build_app", factory=True, host="127.0.0.1", port=0,
                       workers=2)
    listener = config.bind_socket()
    try:
        listener.listen()
        assert listener.proto == socket.IPPROTO_TCP
        with socket.create_connection(listener.getsockname()[:2]):
            accepted, _ = listener.accept()
            with accepted:
                # asyncio sets TCP_NODELAY only on sockets that report IPPROTO_TCP.
                assert accepted.proto == socket.IPPROTO_TCP
                assert accepted.family == socket.AF_INET
    finally:
        listener.close()
