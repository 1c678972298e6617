"""Health check and language switch."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from district_portal import db

bp = Blueprint("system", __name__)

ONE_YEAR = 365 * 24 * 3600  # seconds


@bp.get("/healthz")
def healthz():
    db.ping()
    return {"status": "ok", "database": "ok"}, 200, {"Cache-Control": "no-store"}


@bp.get("/language/<lang>")
def language(lang: str):
    """Switch the interface language (a cookie, no account needed)."""
    target = request.referrer or url_for("public.home")
    if not target.startswith(request.host_url):
        target = url_for("public.home")
    response = redirect(target)
    if lang in ("vi", "en"):
        response.set_cookie("lang", lang, max_age=ONE_YEAR, httponly=True, samesite="Lax")
    return response
