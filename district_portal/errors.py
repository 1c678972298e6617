"""Error pages in Vietnamese: never a stack trace, never a 500 for user error."""

from __future__ import annotations

import errno

from flask import Flask, abort, current_app, g, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from district_portal import db
from district_portal.services.dossiers.workflow import WorkflowError
from district_portal.services.errors import CHANGED_MEANWHILE, ServiceError, mark_refused
from district_portal.views import api

# The requests that change one dossier: a unique value lost to a parallel request there is
# the other staff member's (or the resident's resend's) change, not a fault of the portal.
DOSSIER_WRITES = frozenset({
    "staff.act", "staff.counter_submit", "documents.prepare_result", "documents.issue_result",
    "filing.submit", "filing.withdraw", "filing.supplement",
})
# A disk that cannot take a file now (full, over quota, read-only, an I/O fault): the
# portal is temporarily unavailable, not broken by what the user sent.
STORAGE_FAULTS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})
RETRY_AFTER = "120"  # seconds, for the 503 page


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_nul_bytes():
        # No page has a NUL in its address, and PostgreSQL refuses one in any text it is
        # asked to compare: answer "not found" (in the path) or "bad request" (in the query)
        # before a view sends it to the database.
        if "\x00" in request.path:
            abort(404)
        if any("\x00" in key or "\x00" in value
               for key, value in request.args.items(multi=True)):
            abort(400)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        message = gettext("Your form has expired or was sent twice. Go back, reload the page "
                          "and send it again; what you typed is kept in your draft.")
        return render_template("error.html", code=400, title=gettext("Form expired"),
                               message=message), 400

    app.errorhandler(HTTPException)(render_http_error)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        # A refusal no view caught. db.py rolls the request back; do it before rendering too,
        # so the page cannot flush half of the refused change while it loads what it shows.
        db.session().rollback()
        if api.is_api_request():
            return api.error_response(exc.status, exc.message)
        title = gettext("This action is not possible now") if isinstance(exc, WorkflowError) \
            else _titles().get(exc.status, gettext("Something went wrong"))
        return render_template("error.html", code=exc.status, title=title,
                               message=str(exc.message)), exc.status

    @app.errorhandler(StaleDataError)
    @app.errorhandler(DBAPIError)
    def database_race(exc: Exception):
        if db.is_unavailable(exc):
            return failure_page(exc)
        if db.is_concurrent_change(exc) or (
                db.is_unique_violation(exc) and request.endpoint in DOSSIER_WRITES):
            current_app.logger.info("request lost a race: %s", exc)
            return conflict_page()
        return failure_page(exc)

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return render_http_error(exc)
        return failure_page(exc)


def is_unavailable(exc: BaseException) -> bool:
    """The database or the upload disk cannot serve now (down, full, read-only, too slow)."""
    if isinstance(exc, OSError) and exc.errno in STORAGE_FAULTS:
        return True
    return db.is_unavailable(exc)


def failure_page(exc: BaseException):
    """What a request that failed through no fault of the user answers, after rolling back
    what it did: 503 "temporarily unavailable" (with Retry-After) when the database or the
    disk cannot serve, else 500. Rendered without touching the database."""
    db.rollback_request()
    mark_refused()
    _without_database()
    if is_unavailable(exc):
        current_app.logger.error("temporarily unavailable: %s", exc)
        code, headers = 503, {"Retry-After": RETRY_AFTER}
        title = gettext("The portal is temporarily unavailable")
        message = gettext("The portal cannot save or show your information right now. "
                          "Nothing was half-saved. Please try again in a few minutes; "
                          "what you typed before this page is kept in your draft.")
    else:
        current_app.logger.error("Unhandled error", exc_info=exc)
        code, headers = 500, {}
        title = gettext("The portal had a problem")
        message = gettext("Please try again in a few minutes; if it happens again, call "
                          "the office.")
    if api.is_api_request():
        response = api.error_response(code)
        response.headers.update(headers)
        return response
    return render_template("error.html", code=code, title=title, message=message), \
        code, headers


def _without_database() -> None:
    """Let the error page render without a query: a user not yet loaded is shown the page
    as a visitor (the database may be what failed)."""
    if "_login_user" not in g:
        g._login_user = current_app.login_manager.anonymous_user()


def conflict_page():
    """409: someone changed the dossier between this page's load and its form's arrival.
    Nothing of this request is kept."""
    db.rollback_request()
    mark_refused()
    _without_database()
    return render_template("error.html", code=409,
                           title=gettext("This action is not possible now"),
                           message=str(CHANGED_MEANWHILE)), 409


def _titles() -> dict:
    return {
        400: gettext("The request could not be understood"),
        403: gettext("You may not open this page"),
        404: gettext("Page not found"),
        405: gettext("This action is not allowed here"),
        409: gettext("Someone else changed this first"),
        413: gettext("The file is too large"),
        429: gettext("Too many attempts"),
    }


def render_http_error(exc: HTTPException):
    """The Vietnamese page for an HTTP error, with its status (JSON under /api/v1)."""
    if api.is_api_request():
        return api.http_error(exc)
    messages = {
        404: gettext("The address may be mistyped, or the page has moved. Search for the "
                     "procedure you need from the home page."),
        413: gettext("Each file may be at most %(mb)d MB. Take a smaller photo or scan and "
                     "try again.", mb=current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)),
        429: gettext("Please wait a few minutes and try again."),
    }
    code = exc.code or 500
    title = _titles().get(code, gettext("Something went wrong"))
    message = messages.get(code, gettext("Please go back and try again."))
    return render_template("error.html", code=code, title=title, message=message), code
