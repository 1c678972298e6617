"""Static assets under content-hashed names with a one-year cache."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import quote

from flask import Flask, Response, abort, current_app, g, request, send_from_directory, url_for
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

from district_portal.critical_css import Critical

ONE_YEAR = 365 * 24 * 3600  # seconds


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class SessionInterface(SecureCookieSessionInterface):
    """The usual signed-cookie session, except that static assets never set or vary on it:
    a `Vary: Cookie` on the stylesheet would make every page's new cookie a cache miss."""

    def save_session(self, app, session, response):
        if request.endpoint in ASSET_ENDPOINTS:
            return
        super().save_session(app, session, response)


ASSET_ENDPOINTS = {"asset", "static"}


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    static = Path(app.static_folder)
    hashes = {p.name: _digest(p) for p in static.iterdir() if p.is_file()}
    app.extensions["asset_hashes"] = hashes

    @app.get("/assets/<stem>.<digest>.<ext>")
    def asset(stem: str, digest: str, ext: str):
        name = f"{stem}.{ext}"
        if hashes.get(name) != digest:
            abort(404)
        response = send_from_directory(static, name, max_age=ONE_YEAR)
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response

    app.jinja_env.globals["asset_url"] = asset_url
    app.jinja_env.globals["stylesheet"] = stylesheet
    app.jinja_env.globals["stylesheet_preload"] = stylesheet_preload

    # The stylesheet is inlined on a first visit (see `stylesheet`); the CSP allows exactly
    # that text by its hash, and nothing else inline.
    css = (static / "app.css").read_text("utf-8")
    app.extensions["inline_css"] = css
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    app.extensions["inline_css_csp"] = f"'sha256-{digest}'"
    # ... but a page gets only the rules it may use (critical_css.py; `cut_inline_stylesheet`)
    scripts = {p.stem: p.read_text("utf-8") for p in sorted(static.glob("*.js"))}
    app.extensions["critical_css"] = Critical(css, scripts)

    # The favicon inline for a first visit (see `favicon`): a few dozen bytes in the page
    # instead of a request that competes with it.
    icon = (static / "favicon.svg").read_text("utf-8").strip()
    app.extensions["inline_icon"] = "data:image/svg+xml," + quote(icon, safe=" /:=',.-")
    app.jinja_env.globals["favicon"] = favicon

    @app.after_request
    def _remember_stylesheet(response):
        state = g.pop("css_inlined", None)
        if state:  # first visit: "seen"; after a visit that prefetched the file: its hash
            # Max-Age without the Expires that set_cookie adds (40 bytes of a 2G first
            # response; a browser that ignored Max-Age would only get the page inline again).
            value = SEEN if state == FIRST else hashes["app.css"]
            secure = "; Secure" if current_app.config["SESSION_COOKIE_SECURE"] else ""
            response.headers.add("Set-Cookie", f"{CSS_COOKIE}={value}; Max-Age={ONE_YEAR}; "
                                 f"Path=/; SameSite=Lax; HttpOnly{secure}")
        return response


def cut_inline_stylesheet(response: Response) -> Response:
    """After the page is rendered: its inline stylesheet cut to the rules it may use, and the
    CSP hash of that text in `g.inline_css_csp`. Registered after the security headers, so
    that it runs before them (and before the page cache stores the page)."""
    if (not g.get("css_inlined") or response.direct_passthrough
            or response.mimetype != "text/html" or "Content-Encoding" in response.headers):
        return response
    full = f"<style>{current_app.extensions['inline_css']}</style>"
    body = response.get_data(as_text=True)
    if full not in body:
        return response
    before, _, after = body.partition(full)
    css, source = current_app.extensions["critical_css"].for_page(before + after)
    response.set_data(f"{before}<style>{css}</style>{after}")
    g.inline_css_csp = source
    return response


def inline_style_source() -> str:
    """The CSP source of this page's inline stylesheet, or "" when it has none."""
    if g.get("inline_css_csp"):
        return g.inline_css_csp
    return current_app.extensions["inline_css_csp"] if g.get("css_inlined") else ""


def asset_url(name: str) -> str:
    """The URL of a file in static/, named by the hash of its content."""
    digest = current_app.extensions["asset_hashes"][name]
    stem, ext = name.rsplit(".", 1)
    return url_for("asset", stem=stem, digest=digest, ext=ext)


CSS_COOKIE = "css"
SEEN = "1"  # the cookie's value after a first visit (the file's hash once it is cached)
FIRST, AGAIN, CACHED = "first", "again", "cached"


def css_state() -> str:
    """Where this browser stands with the stylesheet: FIRST visit (nothing of ours cached),
    AGAIN (been here, the current file not cached yet) or CACHED (the cookie names the
    current file's hash, which the browser fetched on an earlier page)."""
    value = request.cookies.get(CSS_COOKIE)
    if value == current_app.extensions["asset_hashes"]["app.css"]:
        return CACHED
    return AGAIN if value else FIRST


def stylesheet() -> Markup:
    """The stylesheet for this page.

    On a 2G link a render-blocking stylesheet costs a whole extra round trip (1.3 s) before
    anything is painted, and so does any other request made before the first paint: a first
    visit is therefore ONE response, the stylesheet inline (and the favicon, see `favicon`).
    The next page inlines it again and prefetches the content-hashed file after the content;
    pages after that link the cached file, which costs no request for a year. A cookie
    remembers which of the three a browser needs.
    """
    state = css_state()
    if state == CACHED:
        url = asset_url("app.css")
        return Markup(f'<link rel="stylesheet" href="{url}">')  # nosec B704 — our URL
    g.css_inlined = state
    css = current_app.extensions["inline_css"]
    return Markup(f"<style>{css}</style>")  # nosec B704 — our static/app.css, no user data


def stylesheet_preload() -> Markup:
    """At the end of the body, on the second page: fetch the file into the cache after the
    page's own bytes (never on a first visit, where any second request delays the paint).
    A prefetch (lowest priority), not a preload. On loopback either may finish before the
    paint, and Lighthouse's 2G model then counts it (docs/performance.md)."""
    if g.get("css_inlined") != AGAIN:
        return Markup("")
    href = asset_url("app.css")
    return Markup(f'<link rel="prefetch" href="{href}">')  # nosec B704 — our URL


def favicon() -> Markup:
    """The icon: inline (a data URI) on a first visit, so that no second request competes
    with the page; later the content-hashed file, cached for a year."""
    if css_state() == FIRST:
        href = current_app.extensions["inline_icon"]
    else:
        href = asset_url("favicon.svg")
    return Markup(f'<link rel="icon" href="{href}" type="image/svg+xml">')  # nosec B704
