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
    app.jinja_env.globals["stylesheet_fetch"] = stylesheet_fetch

    # The stylesheet is inlined on a first visit (see `stylesheet`); the CSP allows exactly
    # that text by its hash, and nothing else inline.
    css = (static / "app.css").read_text("utf-8")
    app.extensions["inline_css"] = css
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode()
    app.extensions["inline_css_csp"] = f"'sha256-{digest}'"
    # ... but a page gets only the rules it may use (critical_css.py; `cut_inline_stylesheet`)
    scripts = {p.stem: p.read_text("utf-8") for p in sorted(static.glob("*.js"))}
    app.extensions["critical_css"] = Critical(css, scripts)

    # The favicon inline on every page (see `favicon`): ~150 bytes of the compressed page
    # instead of a request that competes with it.
    icon = (static / "favicon.svg").read_text("utf-8").strip()
    app.extensions["inline_icon"] = "data:image/svg+xml," + quote(icon, safe=" /:=',.-")
    app.jinja_env.globals["favicon"] = favicon

    @app.after_request
    def _remember_stylesheet(response):
        if g.pop("css_inlined", None) == FIRST:  # "seen"; the fetch script sets the hash
            # Max-Age without the Expires that set_cookie adds (40 bytes of a 2G first
            # response; a browser that ignored Max-Age would only get the page inline again).
            # Not HttpOnly: the script writes the file's hash into it once the file is cached
            # (it says which stylesheet a browser holds, nothing else).
            secure = "; Secure" if current_app.config["SESSION_COOKIE_SECURE"] else ""
            response.headers.add("Set-Cookie", f"{CSS_COOKIE}={SEEN}; Max-Age={ONE_YEAR}; "
                                 f"Path=/; SameSite=Lax{secure}")
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


def inline_script_source() -> str:
    """The CSP source of this page's inline script (the second page's), or ""."""
    return _fetch_script()[1] if g.get("css_inlined") == AGAIN else ""


CSS_COOKIE = "css"
# The cookie's value after a first visit (the file's hash once it is cached). "2": the "1" and
# the hashes that earlier versions set were HttpOnly, which the script cannot overwrite.
SEEN = "2"
FIRST, AGAIN, CACHED = "first", "again", "cached"


def css_state() -> str:
    """Where this browser stands with the stylesheet: FIRST visit (nothing of ours cached),
    AGAIN (been here, the current file not cached yet) or CACHED (the cookie names the
    current file's hash, which the fetch script wrote once the file was cached). Any other
    value (an older file's hash after a deploy, an earlier version's cookie) counts as a
    first visit, whose answer sets the cookie afresh."""
    return css_state_of(request.cookies.get(CSS_COOKIE), current_app)


def css_state_of(value: str | None, app) -> str:
    """css_state for a `css` cookie value (page_cache.Replay has no request context)."""
    if value == app.extensions["asset_hashes"]["app.css"]:
        return CACHED
    return AGAIN if value == SEEN else FIRST


def stylesheet() -> Markup:
    """The stylesheet for this page.

    On a 2G link a render-blocking stylesheet costs a whole extra round trip (1.3 s) before
    anything is painted, and so does any other request made before the first paint: a first
    visit is therefore ONE response, the stylesheet inline (and the favicon, see `favicon`).
    The next page inlines it again and, after its paint, a script fetches the content-hashed
    file into the cache (`stylesheet_fetch`); pages after that link the cached file, which
    costs no request for a year. A cookie remembers which of the three a browser needs.
    """
    state = css_state()
    if state == CACHED:
        url = asset_url("app.css")
        return Markup(f'<link rel="stylesheet" href="{url}">')  # nosec B704 — our URL
    g.css_inlined = state
    css = current_app.extensions["inline_css"]
    return Markup(f"<style>{css}</style>")  # nosec B704 — our static/app.css, no user data


# ES5, for old phone browsers. The file is fetched 0.5 s after the load event, when the page
# has been painted, so that nothing competes with it (on loopback a `<link rel=prefetch>` at the
# end of the body finished before the paint, and Lighthouse's 2G model counted it: ×1.49). The
# cookie names the file only once it is in the HTTP cache: without JavaScript, or if the person
# leaves first, the next page simply inlines the rules again.
_FETCH_SCRIPT = (
    'addEventListener("load",function(){setTimeout(function(){var x=new XMLHttpRequest;'
    'x.open("GET","URL");x.onload=function(){if(x.status==200)document.cookie='
    '"css=VALUE;max-age=31536000;path=/;samesite=laxSECURE"};x.send()},500)})')


def _fetch_script() -> tuple[str, str]:
    """The second page's script and its CSP source (the only inline script, allowed by its
    hash), made on first use: it names the file by `asset_url`."""
    made = current_app.extensions.get("fetch_script")
    if made is None:
        secure = ";secure" if current_app.config["SESSION_COOKIE_SECURE"] else ""
        script = _FETCH_SCRIPT.replace("URL", asset_url("app.css")).replace(
            "VALUE", current_app.extensions["asset_hashes"]["app.css"]).replace("SECURE", secure)
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        made = current_app.extensions["fetch_script"] = (script, f"'sha256-{digest}'")
    return made


def stylesheet_fetch() -> Markup:
    """At the end of the body, on the second page (the first visit fetches nothing: any
    request before the first paint costs 2G round trips): the script that fetches the
    content-hashed file into the cache after the paint and then says so in the cookie."""
    if g.get("css_inlined") != AGAIN:
        return Markup("")
    return Markup(f"<script>{_fetch_script()[0]}</script>")  # nosec B704 — our constant


def favicon() -> Markup:
    """The icon, inline (a data URI) on every page: a file would be one more request while
    the page loads (on the second page Lighthouse's 2G model counted it whenever the paint
    came after it: my dossiers ×1.49), and a first fetch of it on a later page the same."""
    href = current_app.extensions["inline_icon"]
    return Markup(f'<link rel="icon" href="{href}" type="image/svg+xml">')  # nosec B704
