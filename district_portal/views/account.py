"""Accounts: register, verify phone, log in and out, reset password."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from district_portal import db
from district_portal.auth import begin_two_factor, sign_in, sign_out
from district_portal.extensions import limiter
from district_portal.forms import ConfirmForm
from district_portal.forms.account import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    VerifyPhoneForm,
)
from district_portal.phones import display_phone
from district_portal.services.accounts import auth, emails, two_factor
from district_portal.services.accounts import reset as password_reset
from district_portal.services.accounts.auth import AccountError

bp = Blueprint("account", __name__, url_prefix="/account")

LOGIN_LIMIT = "10 per minute;100 per hour"
SEND_LIMIT = "5 per minute;30 per hour"


def _field_error(form, exc: AccountError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after login, or None: never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.get("/")
@login_required
def index():
    return render_template("account/index.html", user=current_user, phone=display_phone(
        current_user.phone), form=ConfirmForm(),
        recovery_left=two_factor.recovery_codes_left(db.session(), current_user))


def _next_from(form) -> str | None:
    """Where the person was going before being asked to log in or register: from the query
    string on GET, from the form's hidden field on POST; always a local path."""
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    return safe_next(form.next.data)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(SEND_LIMIT, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("account.index"))
    form = RegisterForm()
    next_path = _next_from(form)
    if form.validate_on_submit():
        try:
            user = auth.register_citizen(
                db.session(), full_name=form.full_name.data, password=form.password.data,
                email=form.email.data, phone=form.phone.data,
                secret_key=current_app.config["SECRET_KEY"],
                base_url=current_app.config["BASE_URL"])
        except AccountError as exc:
            _field_error(form, exc)
        else:
            sign_in(user)
            if user.phone:
                flash(gettext("Your account is ready. We sent a 6-digit code by SMS to confirm "
                              "your phone number."), "success")
                return redirect(url_for("account.verify_phone", next=next_path))
            flash(gettext("Your account is ready. We sent a link to your email: open it to "
                          "confirm the address, then you can log in with it."), "success")
            return redirect(next_path or url_for("account.index"))
    return render_template("account/register.html", form=form, next_path=next_path)


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def confirm_email(token: str):
    """A GET only shows the button (mail scanners open links); the POST confirms."""
    secret = current_app.config["SECRET_KEY"]
    try:
        address = emails.email_to_confirm(db.session(), token, secret_key=secret)
    except AccountError as exc:
        return render_template("account/confirm_email.html", invalid=str(exc)), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            emails.confirm_email(db.session(), token, secret_key=secret)
        except AccountError as exc:
            return render_template("account/confirm_email.html", invalid=str(exc)), 409
        flash(gettext("Your email is confirmed. You can now log in with it."), "success")
        return redirect(url_for("account.index" if current_user.is_authenticated
                                else "account.login"))
    return render_template("account/confirm_email.html", invalid=None, form=form,
                           address=address)


@bp.route("/verify-phone", methods=["GET", "POST"])
@login_required
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def verify_phone():
    form = VerifyPhoneForm()
    next_path = _next_from(form)
    if not auth.needs_phone_confirmation(current_user):
        return redirect(next_path or url_for("account.index"))
    if form.validate_on_submit():
        try:
            auth.confirm_phone(db.session(), current_user, form.code.data)
        except AccountError as exc:
            _field_error(form, exc)
        else:
            flash(gettext("Your phone number is confirmed. You can now log in with it."),
                  "success")
            return redirect(next_path or url_for("account.index"))
    return render_template("account/verify_phone.html", form=form, resend=ConfirmForm(),
                           phone=display_phone(current_user.phone), next_path=next_path)


@bp.post("/verify-phone/resend")
@login_required
@limiter.limit(SEND_LIMIT)
def resend_code():
    form = ConfirmForm()
    if form.validate_on_submit() and auth.needs_phone_confirmation(current_user):
        try:
            auth.send_phone_code(db.session(), current_user)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(gettext("We sent a new code. Earlier codes no longer work."), "success")
    return redirect(url_for("account.verify_phone", next=safe_next(request.args.get("next"))))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    form = LoginForm()
    next_path = _next_from(form)
    if form.validate_on_submit():
        try:
            user = auth.authenticate(db.session(), form.login.data, form.password.data)
        except AccountError as exc:
            form.form_errors.append(str(exc))
        else:
            if user.needs_two_factor:
                begin_two_factor(user, next_path)
                return redirect(url_for("two_factor.verify"))
            sign_in(user)
            if auth.needs_phone_confirmation(user) and "@" not in form.login.data:
                return _to_phone_confirmation(user, next_path)
            flash(gettext("You are logged in."), "success")
            return redirect(next_path or url_for("account.index"))
    return render_template("account/login.html", form=form, next_path=next_path)


def _to_phone_confirmation(user, next_path):
    """Logged in with a phone not confirmed yet: the confirmation page, with a fresh code
    unless one was sent a moment ago."""
    if auth.phone_code_refusal(db.session(), user) is not None:
        # Asked, not refused: a refusal would roll the new login back with it.
        flash(gettext("Enter the code we sent by SMS to confirm your phone number."), "info")
    else:
        auth.send_phone_code(db.session(), user)
        flash(gettext("Confirm your phone number to continue: we sent a new 6-digit code by "
                      "SMS."), "info")
    return redirect(url_for("account.verify_phone", next=next_path))


@bp.post("/logout")
def logout():
    if ConfirmForm().validate_on_submit():
        sign_out()
        flash(gettext("You are logged out."), "success")
    return redirect(url_for("public.home"))


@bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    if ConfirmForm().validate_on_submit():
        auth.end_all_sessions(db.session(), current_user)
        sign_out()
        flash(gettext("You are logged out on every device."), "success")
        return redirect(url_for("public.home"))
    return redirect(url_for("account.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            auth.change_password(db.session(), user, form.current.data, form.password.data)
        except AccountError as exc:
            _field_error(form, exc)
        else:
            sign_in(user)  # every session ended with the old password: this one starts again
            flash(gettext("Your password is changed. Other devices were logged out."),
                  "success")
            return redirect(url_for("account.index"))
    return render_template("account/password.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(SEND_LIMIT, methods=["POST"])
def forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_password_reset(
            db.session(), form.login.data, secret_key=current_app.config["SECRET_KEY"],
            base_url=current_app.config["BASE_URL"])
        # The same answer whether or not the account exists.
        flash(gettext("If an account has this phone number or email, we sent it a link to "
                      "choose a new password. The link works for 1 hour."), "success")
        return redirect(url_for("account.login"))
    return render_template("account/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def reset(token: str):
    secret = current_app.config["SECRET_KEY"]
    try:
        password_reset.reset_token_user(db.session(), token, secret_key=secret)
    except AccountError as exc:
        return render_template("account/reset.html", invalid=str(exc), form=None), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.reset_password(db.session(), token, form.password.data,
                                          secret_key=secret)
        except AccountError as exc:
            _field_error(form, exc)
        else:
            sign_out()
            flash(gettext("Your password is changed. Log in with the new password."),
                  "success")
            return redirect(url_for("account.login"))
    return render_template("account/reset.html", form=form, invalid=None)
