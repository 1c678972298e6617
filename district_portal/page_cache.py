"""Public pages that are the same for every anonymous visitor (home, catalogue and search,
procedure pages, /stats), served from memory as rendered, compressed bytes.

Key: endpoint, path, query, language, the visitor's stylesheet state (assets.css_state), and
the public data version (models/site.py), which every change of the catalogue, offices or
calendar bumps in its own transaction; an entry also expires after PAGE_CACHE_SECONDS, for
what moves without such a change (most used procedures, statistics). Only visitors without a
session cookie are served from it, and a page whose rendering touched the session (a flash, a
CSRF token, a login) is never stored, so one visitor's page can never reach another. The
cache is an LRU bounded in bytes: a flood of distinct query strings evicts, never grows it.
Each entry carries a strong ETag; If-None-Match gets a 304.

A hit is answered inside Flask, with every after_request hook (security headers, the stylesheet
cookie). Those final headers are recorded for the request's inputs (path, query, the `lang`,
`css` cookies and the scheme), and the next identical request is answered by `Replay` in front
of Flask with the same bytes and headers, without a request context (~0.05 ms instead of
~0.3 ms): when the entry is still stored and fresh and the data version was read recently;
otherwise the request goes through Flask as before.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import brotli
from flask import Flask, Response, current_app, g, request, session
from werkzeug.http import parse_accept_header
from werkzeug.sansio.http import parse_cookie

from district_portal import assets, db, locale_of
from district_portal.models.site import current_version

CACHEABLE = {"public.home", "public.procedures", "public.procedure", "stats.index"}
STATE = "page_cache"
HIT = "portal.page_cache.hit"  # WSGI environ: the key of the entry this request was served
#: Replays remembered at most. Each belongs to a stored entry and goes with it, and its inputs
#: are the few states Flask tells apart, so the entries' byte limit bounds them too.
MAX_REPLAYS = 4096
#: Headers that belong to one content coding's body, not to the page.
_PER_BODY = {"content-length", "content-encoding"}


@dataclass(frozen=True)
class Entry:
    etag: str
    bodies: dict[str, bytes]  # content coding ("br", "gzip", "identity") → bytes
    content_type: str
    css_inlined: str  # assets.FIRST / AGAIN when the page has the stylesheet inline, or ""
    stored_at: float
    style_src: str = ""  # the CSP source of that inline stylesheet (its rules cut to the page)

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.bodies.values()) + 200


class PageCache:
    """An LRU of entries, bounded by their total size in bytes; safe across threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()
        self.version: tuple[float, int] = (0.0, 0)  # (read at, value)
        # A hit's inputs (Replay.inputs) → (its key, its entry's ETag, the final headers Flask
        # sent for it); and each key's inputs, so that a dropped entry takes its replays along.
        self.replays: dict[tuple, tuple[tuple, str, list[tuple[str, str]]]] = {}
        self.replayed_by: dict[tuple, set[tuple]] = {}

    def remember(self, inputs: tuple, key: tuple, etag: str,
                 headers: list[tuple[str, str]]) -> None:
        """A replay of the entry at `key` for `inputs` (Replay.record)."""
        with self.lock:
            if key not in self.entries:
                return
            if len(self.replays) >= MAX_REPLAYS and inputs not in self.replays:
                return  # full: the entries come and go with their pages, never a flood
            self.replays[inputs] = (key, etag, headers)
            self.replayed_by.setdefault(key, set()).add(inputs)

    def get(self, key: tuple, max_age: float) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.stored_at > max_age:
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        if entry.size > self.max_bytes // 4:
            return  # one page may not push out most of the others
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = entry
            self.bytes += entry.size
            while self.bytes > self.max_bytes:
                self._drop(next(iter(self.entries)))

    def _drop(self, key: tuple) -> None:
        self.bytes -= self.entries.pop(key).size
        for inputs in self.replayed_by.pop(key, ()):
            self.replays.pop(inputs, None)


def init_app(app: Flask, language: Callable[[], str]) -> None:
    """`language`: the app's locale selector (a hit must not pay for Babel's parsing)."""
    if app.config["PAGE_CACHE_BYTES"] <= 0:
        return
    app.extensions[STATE] = PageCache(app.config["PAGE_CACHE_BYTES"])
    app.extensions[STATE + ".language"] = language
    # First of all before_request functions: a hit needs no rate limit (these pages have
    # none), no session and no user.
    app.before_request_funcs.setdefault(None, []).insert(0, _serve_from_cache)
    # Inside ProxyFix when there is one: the scheme it sets is an input of the headers (HSTS).
    inner = app.wsgi_app
    if hasattr(inner, "app") and type(inner).__name__ == "ProxyFix":
        inner.app = Replay(inner.app, app)
    else:
        app.wsgi_app = Replay(inner, app)
    # Registered after Flask-Compress: after_request runs in reverse, so this sees the
    # rendered, uncompressed page and stores it before anything compresses it.
    app.after_request(_store)


def _cache() -> PageCache:
    return current_app.extensions[STATE]


def _anonymous() -> bool:
    return (request.method in ("GET", "HEAD")
            and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies)


def _data_version() -> int:
    """The public data version, read at most once a PAGE_CACHE_VERSION_SECONDS per process."""
    cache = _cache()
    read_at, value = cache.version
    now = time.monotonic()
    if now - read_at >= current_app.config["PAGE_CACHE_VERSION_SECONDS"] or not value:
        value = current_version(db.session())
        cache.version = (now, value)
    return value


def _key() -> tuple:
    language = current_app.extensions[STATE + ".language"]()
    return (request.endpoint, request.path, request.query_string, language, assets.css_state(),
            _data_version())


def _coding() -> str:
    return coding_of(request.environ)


def coding_of(environ) -> str:
    """The body a request gets: Brotli, else gzip, else the page as is (Accept-Encoding)."""
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"))
    return "br" if accepted["br"] else "gzip" if accepted["gzip"] else "identity"


def _serve_from_cache():
    if request.endpoint not in CACHEABLE or not _anonymous():
        return None
    g.page_cache_key = key = _key()
    entry = _cache().get(key, current_app.config["PAGE_CACHE_SECONDS"])
    if entry is None:
        return None
    g.page_cache_hit = True
    request.environ[HIT] = (key, entry.etag)  # Replay records this answer's final headers
    if entry.css_inlined:
        g.css_inlined = entry.css_inlined  # these variants also set the stylesheet cookie
        g.inline_css_csp = entry.style_src
    return _response(entry)


def _response(entry: Entry) -> Response:
    if request.if_none_match.contains(entry.etag):
        response = Response(status=304)
    else:
        coding = _coding()
        response = Response(entry.bodies[coding], content_type=entry.content_type)
        if coding != "identity":
            response.headers["Content-Encoding"] = coding
    response.set_etag(entry.etag)
    response.headers["Cache-Control"] = "no-cache"  # may be kept, but ask (a 304 is tiny)
    response.vary.update(("Accept-Encoding", "Cookie"))
    return response


def _store(response: Response) -> Response:
    key = g.get("page_cache_key")
    if key is None or g.get("page_cache_hit"):
        return response
    if (response.status_code != 200 or response.direct_passthrough
            or "Content-Encoding" in response.headers or "Set-Cookie" in response.headers
            or session.modified or len(session)):
        return response  # personal (a flash, a token), streamed or unusual: never shared
    body = response.get_data()
    entry = Entry(etag=hashlib.sha256(body).hexdigest()[:16],
                  bodies={"identity": body, "gzip": gzip.compress(body, 6),
                          "br": brotli.compress(body, quality=10)},
                  content_type=response.content_type, css_inlined=g.get("css_inlined") or "",
                  stored_at=time.monotonic(), style_src=g.get("inline_css_csp") or "")
    _cache().put(key, entry)
    fresh = _response(entry)  # a 304 if the client already holds these bytes
    for name, value in response.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            fresh.headers.setdefault(name, value)
    return fresh


class Replay:
    """WSGI middleware: answers a request whose identical predecessor was a cache hit, with
    the headers Flask sent then and the entry's bytes, without entering Flask.

    The inputs that decide a hit's answer are the path, the query, the language and
    stylesheet state (from the `lang` and `css` cookies, reduced to the states Flask tells
    apart), the scheme (HSTS) and Accept-Encoding (which body). A session cookie, a method
    other than GET, an If-None-Match, a cookie header that cannot be read, an entry expired,
    evicted or stored anew since, or a data version due to be read again: to Flask, which
    reads it and records the next hit. A hit is recorded only if its headers are the entry's
    own (its ETag, the coding Replay would choose): Flask-Compress rewrites odd cases.
    """

    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self.session_cookie = app.config["SESSION_COOKIE_NAME"]

    def inputs(self, environ) -> tuple | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("HTTP_IF_NONE_MATCH"):
            return None
        try:
            cookies = parse_cookie(environ.get("HTTP_COOKIE"))
        except (UnicodeError, ValueError):
            return None
        if self.session_cookie in cookies:
            return None
        return (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
                locale_of(cookies.get("lang")),
                assets.css_state_of(cookies.get(assets.CSS_COOKIE), self.app),
                environ.get("wsgi.url_scheme"))

    def __call__(self, environ, start_response):
        inputs = self.inputs(environ)
        answer = self.replay(inputs, environ) if inputs is not None else None
        if answer is not None:
            status, headers, body = answer
            start_response(status, headers)
            return [body]
        if inputs is None:
            return self.wsgi_app(environ, start_response)
        return self.record(inputs, environ, start_response)

    def replay(self, inputs: tuple, environ) -> tuple | None:
        cache: PageCache = self.app.extensions[STATE]
        found = cache.replays.get(inputs)
        if found is None:
            return None
        key, etag, headers = found
        read_at, version = cache.version
        config = self.app.config
        if (time.monotonic() - read_at >= config["PAGE_CACHE_VERSION_SECONDS"]
                or key[-1] != version):
            return None
        entry = cache.get(key, config["PAGE_CACHE_SECONDS"])
        if entry is None or entry.etag != etag:
            return None
        coding = coding_of(environ)
        body = entry.bodies[coding]
        headers = [*headers, ("Content-Length", str(len(body)))]
        if coding != "identity":
            headers.append(("Content-Encoding", coding))
        return "200 OK", headers, body

    def record(self, inputs: tuple, environ, start_response):
        def start(status, headers, exc_info=None):
            hit = environ.get(HIT)
            if hit is not None and status.startswith("200 "):
                key, etag = hit
                sent = {name.lower(): value for name, value in headers}
                if (sent.get("etag") == f'"{etag}"' and "date" not in sent
                        and sent.get("content-encoding", "identity") == coding_of(environ)):
                    self.app.extensions[STATE].remember(
                        inputs, key, etag,
                        [(n, v) for n, v in headers if n.lower() not in _PER_BODY])
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)
