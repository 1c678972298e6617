"""Health check and language switch."""

from __future__ import annotations

import os
import tempfile

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from district_portal import LANGUAGES, db
from district_portal.services import notifications

bp = Blueprint("system", __name__)

ONE_YEAR = 365 * 24 * 3600  # seconds


@bp.app_context_processor
def _outbox_alert() -> dict:
    """Staff pages warn while messages that failed after all retries wait for a requeue."""

    def failed_notifications() -> int:
        return notifications.failed_count(db.session())

    return {"failed_notifications": failed_notifications}


@bp.get("/healthz")
def healthz():
    """200 {"status": "ok"} when the database answers and the upload folder takes a file;
    503 with a message when either does not (for the load balancer and the monitoring,
    never an HTML page)."""
    headers = {"Cache-Control": "no-store"}
    if not db.ping():
        message = _l("The database cannot be reached. The portal is temporarily unavailable.")
        return {"status": "unavailable", "database": "unreachable", "uploads": "unknown",
                **_both(message)}, 503, headers
    if not _uploads_writable(current_app.config["UPLOAD_DIR"]):
        message = _l("Uploaded files cannot be saved (the disk is full or read-only). The "
                     "portal is temporarily unavailable.")
        return {"status": "unavailable", "database": "ok", "uploads": "unwritable",
                **_both(message)}, 503, headers
    return {"status": "ok", "database": "ok", "uploads": "ok"}, 200, headers


def _both(message) -> dict:
    with force_locale("vi"):
        vietnamese = str(message)
    with force_locale("en"):
        english = str(message)
    return {"message": vietnamese, "message_en": english}


def _uploads_writable(folder: str) -> bool:
    """Whether one small file can be written to the upload folder now (full or read-only
    disks fail here); the probe is removed at once."""
    path = None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=folder, prefix=".healthz-")
        try:
            os.write(fd, b"x" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        current_app.logger.error("upload folder not writable: %s", exc)
        return False
    finally:
        if path is not None and os.path.exists(path):
            os.unlink(path)
    return True


@bp.get("/language/<lang>")
def language(lang: str):
    """Switch the interface language (a cookie, no account needed)."""
    target = request.referrer or url_for("public.home")
    if not target.startswith(request.host_url):
        target = url_for("public.home")
    response = redirect(target)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
