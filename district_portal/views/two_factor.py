"""Two-factor login: the second step after the password, enrolment (forced for staff at
their first login, a choice for residents) and turning it off (residents only)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from district_portal import db
from district_portal.auth import pending_login, sign_in
from district_portal.extensions import limiter
from district_portal.forms.account import TwoFactorForm
from district_portal.services.accounts import two_factor
from district_portal.services.accounts.two_factor import TwoFactorError
from district_portal.views.account import LOGIN_LIMIT

bp = Blueprint("two_factor", __name__, url_prefix="/account/two-factor")

SECRET_KEY = "_2fa_secret"  # nosec B105 — a session key name, not a secret


def _login_again():
    flash(gettext("Log in again to continue."), "info")
    return redirect(url_for("account.login"))


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def verify():
    user, next_path = pending_login()
    if user is None:
        return _login_again()
    if user.totp_enabled_at is None:
        return redirect(url_for("two_factor.setup"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            two_factor.verify(db.session(), user, form.code.data)
        except TwoFactorError as exc:
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            sign_in(user)
            flash(gettext("You are logged in."), "success")
            return redirect(next_path or url_for("account.index"))
    return render_template("account/two_factor.html", form=form)


def _enrolling():
    """Who is turning two-factor login on: staff half logged in at their first login, or a
    logged-in resident; and where to go afterwards."""
    if current_user.is_authenticated:
        return current_user._get_current_object(), None
    return pending_login()


@bp.route("/setup", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def setup():
    user, next_path = _enrolling()
    if user is None:
        return _login_again()
    if user.totp_enabled_at is not None:
        return redirect(url_for("account.index"))
    secret = session.get(SECRET_KEY) or two_factor.new_secret()
    session[SECRET_KEY] = secret
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(db.session(), user, secret, form.code.data)
        except TwoFactorError as exc:
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            session.pop(SECRET_KEY, None)
            if not current_user.is_authenticated:
                sign_in(user)
            # Shown once, in this answer: only their hashes are kept.
            return render_template("account/recovery_codes.html", codes=codes,
                                   next_path=next_path or url_for("account.index"))
    uri = two_factor.provisioning_uri(user, secret)
    return render_template("account/two_factor_setup.html", form=form,
                           qr=two_factor.qr_data_uri(uri), secret=two_factor.grouped(secret),
                           first_login=not current_user.is_authenticated)


@bp.post("/disable")
@login_required
@limiter.limit(LOGIN_LIMIT)
def disable():
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            two_factor.disable(db.session(), current_user, form.code.data)
        except TwoFactorError as exc:
            flash(str(exc), "error")
        else:
            flash(gettext("Two-step login is off."), "success")
    else:
        flash(gettext("Enter the 6-digit code from the app, or a recovery code."), "error")
    return redirect(url_for("account.index"))
