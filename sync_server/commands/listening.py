"""uvicorn's Config, binding a listening socket that knows it is TCP (imported by `serve`).

For several workers uvicorn binds the socket itself with `proto` left at 0; accepted
connections inherit it and asyncio then never sets TCP_NODELAY, so every keep-alive request
waits ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149; measured here: 1.4 ms a round
trip with one worker, 44 ms with two). Re-wrapping the descriptor lets Python read the real
protocol from the kernel. A module of its own: worker processes unpickle the config by name.
"""

from __future__ import annotations

import socket

import uvicorn


class TcpConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        bound = super().bind_socket()
        return socket.socket(fileno=bound.detach())
