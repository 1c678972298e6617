"""Health check and language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from district_portal import db

bp = Blueprint("system", __name__)

ONE_YEAR = 365 * 24 * 3600  # seconds


@bp.get("/healthz")
def healthz():
    """200 {"status": "ok"} when the database answers; 503 with a message when it does not
    (for the load balancer and the monitoring, never an HTML page)."""
    headers = {"Cache-Control": "no-store"}
    if not db.ping():
        message = _l("The database cannot be reached. The portal is temporarily unavailable.")
        with force_locale("vi"):
            vietnamese = str(message)
        with force_locale("en"):
            english = str(message)
        return {"status": "unavailable", "database": "unreachable", "message": vietnamese,
                "message_en": english}, 503, headers
    return {"status": "ok", "database": "ok"}, 200, headers


@bp.get("/language/<lang>")
def language(lang: str):
    """Switch the interface language (a cookie, no account needed)."""
    target = request.referrer or url_for("public.home")
    if not target.startswith(request.host_url):
        target = url_for("public.home")
    response = redirect(target)
    if lang in ("vi", "en"):
        response.set_cookie("lang", lang, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
