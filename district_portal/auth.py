"""Flask-Login wiring: the login token carries the user's session version."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext
from sqlalchemy import select

from district_portal import db
from district_portal.extensions import login_manager
from district_portal.models import User


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
