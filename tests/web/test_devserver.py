"""The development server's middleware closes a response body the server dropped unclosed."""

from __future__ import annotations

import gc

from tagscape.web.devserver import CloseAfterDrop


class Body:
    def __init__(self):
        self.closed = 0

    def __iter__(self):
        yield b"one"
        yield b"two"

    def close(self):
        self.closed += 1


def app_returning(body):
    def app(environ, start_response):
        start_response("200 OK", [])
        return body

    return app


def test_a_body_dropped_mid_response_is_closed():
    """What werkzeug does when the client resets the connection: stop iterating, skip close()."""
    body = Body()
    response = CloseAfterDrop(app_returning(body))({}, lambda status, headers: None)
    assert next(response) == b"one"
    del response
    gc.collect()
    assert body.closed == 1


def test_a_body_served_in_full_is_closed_once():
    body = Body()
    response = CloseAfterDrop(app_returning(body))({}, lambda status, headers: None)
    assert list(response) == [b"one", b"two"]
    response.close()  # the server's own close() after a complete response
    assert body.closed == 1
