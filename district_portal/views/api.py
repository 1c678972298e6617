"""The open-data JSON API under /api/v1: statistics, the catalogue, the dossier changes feed
(API key) and its OpenAPI 3.1 document.

Every answer under /api/v1 — errors and the 404 of an unknown address included — is JSON with
a strong ETag (304 on If-None-Match), CORS for GET (any origin; OPTIONS preflight), and no
cookie: the API ignores the session cookie and never sets one. Errors have one shape,
{"error": {"code": ..., "message": <Vietnamese>}}. (The older /api/v1/units/... route of
the filing pages lives in views/filing.py and gets the same headers.)
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Flask, Response, current_app, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from district_portal import db
from district_portal.extensions import limiter
from district_portal.forms.api import ProcedureQuery
from district_portal.models.types import utcnow
from district_portal.services.api import catalog, changes, keys, openapi
from district_portal.services.errors import ServiceError

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
DEFAULT_RATE_LIMIT = "600/minute"  # per client address, all /api/v1 endpoints together

ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large",
               429: "too_many_requests", 500: "server_error", 503: "unavailable"}
MESSAGES = {
    400: _l("The request's parameters are not valid."),
    401: _l("A valid API key is required (Authorization: Bearer <key>)."),
    403: _l("This API key may not use this endpoint."),
    404: _l("There is nothing at this address."),
    405: _l("This method is not allowed here; the API only answers GET."),
    429: _l("Too many requests; wait a minute and try again."),
    500: _l("The portal had a problem; try again in a few minutes."),
}


def is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def error_response(status: int, message=None) -> Response:
    """The API's one error shape, in Vietnamese whatever language cookie came along."""
    with force_locale("vi"):
        text = str(message if message is not None
                   else MESSAGES.get(status, MESSAGES[400 if status < 500 else 500]))
    response = _json({"error": {"code": ERROR_CODES.get(status, "error"), "message": text}},
                     status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="district-portal"'
    return response


def http_error(exc: HTTPException) -> Response:
    """An HTTPException (404, 405, 429 …) raised under /api/v1, as JSON."""
    response = error_response(exc.code or 500)
    if exc.code == 405 and exc.response is None:
        allowed = getattr(exc, "valid_methods", None)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response


def _json(payload, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return Response(body, status=status, mimetype="application/json")


def _api_rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


limiter.limit(_api_rate_limit)(bp)


# --- endpoints --------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document():
    return _json(openapi.document())


@bp.get("/stats")
def stats():
    from district_portal.services.api import stats as api_stats

    try:
        return _json(api_stats.figures(
            db.session(), request.args, writer=db.get_db().transaction,
            ttl_seconds=current_app.config["STATS_CACHE_SECONDS"],
            grace_seconds=current_app.config["STATS_CACHE_GRACE_SECONDS"]))
    except ServiceError as exc:
        return error_response(exc.status, exc.message)


@bp.get("/procedures")
def procedures():
    form = ProcedureQuery(request.args)
    if not form.validate():
        return error_response(400, form.first_error())
    return _json(catalog.procedure_page(db.session(), form.query()))


@bp.get("/procedures/<code>")
def procedure(code: str):
    data = catalog.procedure_detail(db.session(), code)
    if data is None:
        return error_response(404, _l("No published procedure has this code."))
    return _json(data)


@bp.get("/dossiers/changes")
def dossier_changes():
    session = db.session()
    now = utcnow()
    try:
        key = keys.authenticate(session, request.headers.get("Authorization"),
                                keys.SCOPE_CHANGES, now=now)
        page = changes.list_changes(session, key, secret=current_app.config["SECRET_KEY"],
                                    since=request.args.get("since"),
                                    limit=request.args.get("limit"), now=now)
    except ServiceError as exc:
        return error_response(exc.status, exc.message)
    return _json({"items": page.items, "next_cursor": page.next_cursor,
                  "has_more": page.has_more})


# --- headers of every /api/v1 answer ----------------------------------------------------------


def _etag_of(response: Response) -> str:
    return hashlib.sha256(response.get_data()).hexdigest()[:32]


def _api_headers(response: Response) -> Response:
    if not is_api_request():
        return response
    headers = response.headers
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = "ETag"
    if request.method == "OPTIONS":
        if response.status_code == 200:  # a preflight: nothing to say but the headers
            response.status_code = 204
            response.set_data(b"")
            response.mimetype = "application/json"
        headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "Authorization, If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"  # one day, in seconds
    if request.headers.get("Authorization") or request.endpoint == "api.dossier_changes":
        headers["Cache-Control"] = "private, no-cache"
        headers.add("Vary", "Authorization")
    else:
        headers.setdefault("Cache-Control", "no-cache")
    if response.direct_passthrough or response.is_streamed:
        return response
    return _conditional(response)


def _conditional(response: Response) -> Response:
    """A strong ETag on every answer; 304 when the client already has it. Flask-Compress
    later turns a compressed answer's "x" into "x:gzip", so both forms match."""
    etag = _etag_of(response)
    response.set_etag(etag)
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        wanted = request.if_none_match
        for candidate in (etag, f"{etag}:gzip"):
            if wanted.contains_weak(candidate):
                response.set_etag(candidate)
                response.status_code = 304
                response.set_data(b"")
                response.headers.pop("Content-Length", None)
                break
    return response


class CookielessApi:
    """Mixed into the app's session interface: under /api/v1 the session cookie is neither
    read (API calls act as no one but their key) nor ever set."""

    def open_session(self, app, req):
        if req.path.startswith(PREFIX + "/"):
            return self.session_class()
        return super().open_session(app, req)

    def save_session(self, app, session, response):
        if is_api_request():
            return None
        return super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Register the blueprint, its headers and the cookie-less session for /api/v1."""
    app.register_blueprint(bp)
    app.after_request(_api_headers)
    # On top of whatever interface the app has (assets.py's keeps static files cookie-free).
    base = type(app.session_interface)
    app.session_interface = type("ApiAwareSessionInterface", (CookielessApi, base), {})()
