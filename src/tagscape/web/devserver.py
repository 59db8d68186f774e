"""werkzeug's threaded development server, as ``tagscape serve`` (without ``--production``),
the browser tests and the benchmarks run it.

werkzeug's server (3.x, ``WSGIRequestHandler.run_wsgi``) drains the request after the response
and only then calls the response's ``close()``; when the browser has already reset the
connection (it aborts audio range requests as it seeks or switches tracks), the drain raises
and ``close()`` is skipped, leaving the audio file open. :class:`CloseAfterDrop` closes it
either way. gunicorn (``--production``) calls ``close()`` itself and is not wrapped: there the
file wrapper must reach the server as is, for ``sendfile``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from werkzeug.serving import BaseWSGIServer, make_server


def _closing(body: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield from body
    finally:  # also when the server drops this generator without closing it
        close = getattr(body, "close", None)
        if close is not None:
            close()


class CloseAfterDrop:
    """WSGI middleware: the response body is closed even if the server never calls ``close()``."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        return _closing(self.app(environ, start_response))


def development_server(app, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded werkzeug server for ``app`` on ``host:port`` (0: a free port); call ``serve_forever``."""
    return make_server(host, port, CloseAfterDrop(app), threaded=True)


@contextmanager
def serving(app, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """``app`` served from a background thread for the ``with`` block; yields its base URL."""
    server = development_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
