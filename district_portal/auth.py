"""Flask-Login wiring. A login is a row of user_session (services/accounts/sessions.py): the
cookie carries its random id next to the login token (the user's session version), and every
request checks the row, so logging out ends the session on the server. Staff sessions also end
after STAFF_IDLE_SECONDS without a request: the last-seen time is in the signed cookie from the
login response on, and a staff cookie without one is not accepted."""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from district_portal import db
from district_portal.extensions import login_manager
from district_portal.models import User
from district_portal.services.accounts import sessions

IDLE_KEY = "staff_seen"
PENDING_KEY = "_2fa"  # password right, second step not yet passed
PENDING_SECONDS = 10 * 60  # 10 minutes, in seconds, to pass the second step
SESSION_KEY = "_sid"  # the server-side session's id (only its hash is stored)
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
        # None when logged out (here or everywhere), expired, or the password changed.
        return sessions.session_user(db.session(), public_id, int(version),
                                     session.get(SESSION_KEY))

    app.before_request(staff_idle_timeout)


def sign_in(user: User) -> None:
    """Log `user` in on this browser: a new server-side session (the old cookie's contents
    are dropped, so no state crosses a login), the login token and the first last-seen time."""
    old = session.get(SESSION_KEY)
    if old:
        sessions.end_session(db.session(), old)
    session.clear()
    session[SESSION_KEY] = sessions.start_session(db.session(), user)
    session[IDLE_KEY] = int(time.time())
    login_user(user)


def sign_out() -> None:
    """End this browser's session on the server, then forget it here."""
    sessions.end_session(db.session(), session.get(SESSION_KEY))
    _forget()


def _forget() -> None:
    logout_user()
    session.pop(SESSION_KEY, None)
    session.pop(IDLE_KEY, None)


def begin_two_factor(user: User, next_path: str | None) -> None:
    """The password was right: remember who is half logged in (not logged in yet)."""
    session.clear()
    session[PENDING_KEY] = {"user": user.public_id, "v": user.session_version,
                            "at": int(time.time()), "next": next_path or ""}


def pending_login() -> tuple[User | None, str | None]:
    """The account half logged in on this browser in the last 10 minutes, and where it was
    going; (None, None) if there is none or its password changed since."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), int):
        return None, None
    if int(time.time()) - pending["at"] > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None, None
    user = db.session().scalar(select(User).where(User.public_id == str(pending.get("user"))))
    if user is None or not user.active or user.session_version != pending.get("v"):
        return None, None
    return user, pending.get("next") or None


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
    # No last-seen time is as idle as an old one: every staff cookie gets one at login.
    if not isinstance(last, int) or now - last > limit:
        # Only forgotten here, not ended in the table: a page view must not write. Any other
        # copy of this cookie is at least as old, so it times out the same way.
        _forget()
        flash(gettext("You were logged out after %(minutes)d minutes without activity. Log in "
                      "again to continue.", minutes=limit // 60), "info")
        return redirect(login_url(request.full_path.rstrip("?")
                                  if request.method == "GET" else None))
    session[IDLE_KEY] = now
    return None
