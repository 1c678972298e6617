"""Static assets under content-hashed names with a one-year cache."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from flask import Flask, abort, current_app, g, request, send_from_directory, url_for
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup

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

    @app.after_request
    def _remember_stylesheet(response):
        if g.pop("css_inlined", False):
            response.set_cookie(CSS_COOKIE, hashes["app.css"], max_age=ONE_YEAR,
                                httponly=True, samesite="Lax",
                                secure=current_app.config["SESSION_COOKIE_SECURE"])
        return response


def asset_url(name: str) -> str:
    """The URL of a file in static/, named by the hash of its content."""
    digest = current_app.extensions["asset_hashes"][name]
    stem, ext = name.rsplit(".", 1)
    return url_for("asset", stem=stem, digest=digest, ext=ext)


CSS_COOKIE = "css"


def stylesheet() -> Markup:
    """The stylesheet for this page.

    On a 2G link a render-blocking stylesheet costs a whole extra round trip (1.3 s) before
    anything is painted. So a browser that has not been here yet gets the CSS inline (painted
    with the HTML) plus a preload of the content-hashed file into its cache, and a cookie saying
    so; later pages link the cached file, which costs no request for a year.
    """
    url = asset_url("app.css")
    if request.cookies.get(CSS_COOKIE) == current_app.extensions["asset_hashes"]["app.css"]:
        return Markup(f'<link rel="stylesheet" href="{url}">')  # nosec B704 — our URL
    g.css_inlined = True
    css = current_app.extensions["inline_css"]
    return Markup(f"<style>{css}</style>")  # nosec B704 — our static/app.css, no user data


def stylesheet_preload() -> Markup:
    """At the end of the body, after an inlined stylesheet: fetch the file into the cache
    without competing with the page's own bytes on a slow link."""
    if not g.get("css_inlined"):
        return Markup("")
    href = asset_url("app.css")
    return Markup(f'<link rel="preload" href="{href}" as="style">')  # nosec B704 — our URL
