"""Flask-Login wiring: the login token carries the user's session version; staff sessions end
after STAFF_IDLE_SECONDS without a request."""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, logout_user
from sqlalchemy import select

from district_portal import db
from district_portal.extensions import login_manager
from district_portal.models import User

IDLE_KEY = "staff_seen"
# Files and probes: they never need the user, so the idle check does not load one for them.
NO_USER_ENDPOINTS = frozenset({"static", "asset", "system.healthz"})


def init_app(app: Flask) -> None:
    login_manager.login_view = "account.login"
    login_manager.login_message = lazy_gettext("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        public_id, _, version = token.partition(":")
        if not public_id or not version.isdigit():
            return None
        user = db.session().scalar(select(User).where(User.public_id == public_id))
        if user is None or not user.active or user.session_version != int(version):
            return None  # logged out everywhere, or the password changed
        return user

    app.before_request(staff_idle_timeout)


def login_url(next_path: str | None = None) -> str:
    """The login page, with where to come back to."""
    return url_for("account.login", next=next_path) if next_path else url_for("account.login")


def staff_idle_timeout():
    """Staff sessions end after STAFF_IDLE_SECONDS without a request (shared desk PCs).

    Checked on every page of a logged-in session, wherever the staff member goes (staff,
    documents and account pages alike); never for static files, assets or the health check,
    and never for anonymous visitors: the user is loaded only when the session names one."""
    if request.endpoint in NO_USER_ENDPOINTS or "_user_id" not in session:
        return None
    if not current_user.is_authenticated or not getattr(current_user, "is_staff", False):
        return None
    now = int(time.time())
    last = session.get(IDLE_KEY)
    limit = current_app.config["STAFF_IDLE_SECONDS"]
    if isinstance(last, int) and now - last > limit:
        logout_user()
        session.pop(IDLE_KEY, None)
        flash(gettext("You were logged out after %(minutes)d minutes without activity. Log in "
                      "again to continue.", minutes=limit // 60), "info")
        return redirect(login_url(request.full_path.rstrip("?")
                                  if request.method == "GET" else None))
    session[IDLE_KEY] = now
    return None
