"""uvicorn's httptools protocol with a bound on a request's head (imported by `serve`).

uvicorn's pure-Python parser (h11) refuses a request line and headers over 16 KiB; with
httptools it keeps whatever arrives until the blank line, so one connection that never ends its
headers grew the worker by the megabytes it was sent (48 MB of headers: +44 MB, measured). A
desk never sends more than a few hundred bytes of head; a browser's cookies for the portal a few
kilobytes. The bound is counted on the bytes read while a head is incomplete, so a request whose
head ends within the bound is never refused, whatever body follows it in the same read.

A module of its own: worker processes unpickle the config, and this class with it, by name.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from institute_core.sync.wire import ErrorBody

MAX_HEAD_BYTES = 32 * 1024
# The shape of every other error the server answers (wire.ErrorBody).
_REFUSAL = ErrorBody(
    error="headers_too_large",
    detail=f"The request line and headers are over {MAX_HEAD_BYTES} bytes; send fewer or "
           "shorter headers.").model_dump_json(exclude_none=True).encode()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that answers 431 once a request's head passes `MAX_HEAD_BYTES`."""

    _in_head = True  # reading a request line and headers (also before the first request)
    _head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > MAX_HEAD_BYTES \
                and not self.transport.is_closing():
            self._refuse_head()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()

    def _refuse_head(self) -> None:
        self.logger.warning("Request headers over %d bytes; connection closed.", MAX_HEAD_BYTES)
        head = [b"HTTP/1.1 431 Request Header Fields Too Large\r\n"]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend([b"content-type: application/json\r\n",
                     b"content-length: " + str(len(_REFUSAL)).encode() + b"\r\n",
                     b"connection: close\r\n\r\n", _REFUSAL])
        self.transport.write(b"".join(head))
        self.transport.close()
