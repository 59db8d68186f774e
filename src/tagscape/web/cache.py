"""Cached, compressed, conditional responses for expensive GET endpoints (``/api/points``).

A response is named by a *validator*: a digest of everything it is computed from (the
collection's state, the request's parameters, tagscape's version). The validator is cheap to
compute, so:

* a client that already holds the answer (``If-None-Match``) gets ``304 Not Modified``
  without the points being computed at all;
* the finished body is kept in a per-process LRU (bounded in bytes), once per content coding,
  so a repeated request costs neither the projection nor the compression;
* the body is compressed with the best coding the client accepts (``br`` or ``gzip``, as
  negotiated by werkzeug's ``Accept-Encoding`` parsing); each coding has its own strong
  ETag (``"<validator>-br"``), as HTTP requires of different representations.

Every other response is compressed on the fly by flask-compress (see :func:`init_app`);
responses made here carry ``Content-Encoding`` already, which flask-compress leaves alone.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib import metadata

from flask import Flask, Response, current_app, request
from werkzeug.http import is_resource_modified

CODINGS = ("br", "gzip")
DEFAULT_MAX_BYTES = 128 << 20
GZIP_LEVEL = 6
BROTLI_QUALITY = 4  # brotli's speed/size sweet spot for ~MB bodies (quality 11 is ~50x slower)
#: Bodies from this size on (a map of millions of points) are compressed fastest: a 73 MiB map of
#: 4.5 M segments takes 1.43 s at brotli quality 4 (13.9 MiB) and 0.23 s at quality 1 (15.7 MiB),
#: 3.55 s at gzip level 6 and 0.77 s at level 1; the seconds saved outweigh the 13 % more bytes
#: on any link faster than about 15 Mbit/s.
LARGE_BODY = 4 << 20


def init_app(app: Flask) -> None:
    """Compression for every compressible response (flask-compress), and the body cache."""
    from flask_compress import Compress

    app.config.setdefault("COMPRESS_ALGORITHM", list(CODINGS))
    app.config.setdefault("COMPRESS_BR_LEVEL", BROTLI_QUALITY)
    app.config.setdefault("COMPRESS_LEVEL", GZIP_LEVEL)
    # Streamed responses (files: the static bundle, audio with HTTP Range) stay as they are:
    # flask-compress would swap the file for a generator and never close the file, and a
    # compressed 206 body would no longer match its Content-Range.
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)
    app.extensions["tagscape.responses"] = ResponseCache(app.config.get("TAGSCAPE_RESPONSE_CACHE_BYTES", DEFAULT_MAX_BYTES))
    # Computed results owned by the app, each bounded: the /api/models payload, tag analyses,
    # a tag's activations over the collection (18 MB each at 4.5 M segments).
    app.extensions["tagscape.models"] = Memo(size=2)
    app.extensions["tagscape.about"] = Memo(size=2)
    app.extensions["tagscape.tag_results"] = Memo(size=16)
    app.extensions["tagscape.tag_columns"] = Memo(size=4)


class Memo:
    """The last ``size`` results asked for, by a key naming everything they depend on."""

    def __init__(self, size: int):
        self._lock = threading.Lock()
        self._items: OrderedDict = OrderedDict()
        self.size = size

    def get(self, key, compute: Callable[[], object]):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def _version() -> str:
    try:
        return metadata.version("tagscape")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "source"


_VERSION = _version()


def validator(*state, ignore: tuple[str, ...] = ()) -> str:
    """A digest of ``state`` (JSON-able), the request's path and parameters, and tagscape's version."""
    args = sorted((key, value) for key, values in request.args.lists() if key not in ignore for value in values)
    text = json.dumps([_VERSION, request.path, args, state], default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def encode(body: bytes, coding: str | None) -> bytes:
    large = len(body) >= LARGE_BODY
    if coding == "gzip":
        return gzip.compress(body, compresslevel=1 if large else GZIP_LEVEL, mtime=0)
    if coding == "br":
        import brotli

        return brotli.compress(body, quality=1 if large else BROTLI_QUALITY)
    return body


class ResponseCache:
    """A thread-safe LRU of ``key -> (body, mimetype, headers)``, bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[bytes, str, dict]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, item: tuple[bytes, str, dict]) -> None:
        size = len(item[0])
        if size > self.max_bytes // 4:
            return  # one huge answer must not evict everything else
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes -= len(old[0]) if old else 0
            self._items[key] = item
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (dropped, _, _) = self._items.popitem(last=False)
                self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._items)


def cached(make_tag: Callable[[], str], render: Callable[[], Response]) -> Response:
    """The response named by the validator ``make_tag()``: 304, from the cache, or rendered and kept.

    ``render`` returns a 200 response with a complete body; it is called only when neither the
    client nor this process holds the answer. Rendering may itself change the state the
    validator covers (the first request of a map computes and stores it), so the validator is
    taken again afterwards and the answer is kept under the new one.
    """
    cache: ResponseCache = current_app.extensions["tagscape.responses"]
    coding = request.accept_encodings.best_match(CODINGS)
    tag = make_tag()
    etag = f"{tag}-{coding or 'identity'}"
    if not is_resource_modified(request.environ, etag=etag):
        response = Response(status=304)
        del response.headers["Content-Type"]  # a 304 has no body to describe
        return _finish(response, etag, coding=None)
    item = cache.get(etag)
    state = "hit"
    if item is None:
        plain = cache.get(f"{tag}-identity")
        state = "compressed" if plain is not None else "miss"
        if plain is None:
            rendered = render()
            extra = {key: value for key, value in rendered.headers.items() if key.lower().startswith("x-")}
            plain = (rendered.get_data(), rendered.mimetype, extra)
            tag = make_tag()
            etag = f"{tag}-{coding or 'identity'}"
            cache.put(f"{tag}-identity", plain)
        item = (encode(plain[0], coding), plain[1], plain[2])
        if coding:
            cache.put(etag, item)
    body, mimetype, headers = item
    response = Response(body, mimetype=mimetype, headers=headers)
    response.headers["X-Tagscape-Cache"] = state
    return _finish(response, etag, coding)


def _finish(response: Response, etag: str, coding: str | None) -> Response:
    response.set_etag(etag)
    if coding:
        response.headers["Content-Encoding"] = coding
    response.vary.add("Accept-Encoding")
    response.cache_control.no_cache = True  # may be stored, but revalidated (the collection can change)
    return response
