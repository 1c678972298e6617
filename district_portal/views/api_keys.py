"""Admin page for other systems' access: API keys (the secret shown once, right after it is
issued) and webhooks. Admins only; anyone else gets the staff pages' 404."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from district_portal import access, db
from district_portal.forms.api_keys import ApiKeyForm, ConfirmForm, WebhookForm
from district_portal.services.api import keys, webhooks
from district_portal.services.api.offices import active_offices
from district_portal.services.errors import ServiceError

bp = Blueprint("api_keys", __name__, url_prefix="/staff/api-keys")
NO_STORE = {"Cache-Control": "no-store"}


@bp.before_request
def admins_only():
    if not current_user.is_authenticated:
        return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
    if not access.can_manage_api_keys(current_user):
        abort(404)
    return None


def _forms(key_form=None, hook_form=None):
    session = db.session()
    offices = active_offices(session)
    all_keys = keys.list_keys(session)
    key_form = key_form or ApiKeyForm(formdata=None)
    key_form.set_offices(offices)
    hook_form = hook_form or WebhookForm(formdata=None)
    hook_form.set_choices([k for k in all_keys if k.active and keys.SCOPE_CHANGES in k.scopes],
                          offices)
    return key_form, hook_form, all_keys


def _render(key_form=None, hook_form=None, error=None, status=200):
    key_form, hook_form, all_keys = _forms(key_form, hook_form)
    return render_template("api_keys/index.html", key_form=key_form, hook_form=hook_form,
                           keys=all_keys, hooks=webhooks.list_webhooks(db.session()),
                           confirm=ConfirmForm(), error=error), status


@bp.get("/")
def index():
    return _render()


@bp.post("/")
def create():
    form, _hook_form, _keys = _forms(ApiKeyForm())
    if not form.validate_on_submit():
        return _render(key_form=form, status=400)
    try:
        key, secret = keys.create_key(db.session(), name=form.name.data,
                                      scopes=form.scopes.data,
                                      office_code=form.office.data or None,
                                      created_by=current_user)
    except ServiceError as exc:
        return _render(key_form=form, error=exc.message, status=exc.status)
    # The one time the secret exists outside the caller's hands: shown, never stored.
    return render_template("api_keys/created.html", key=key, secret=secret), 200, NO_STORE


@bp.post("/<prefix>/revoke")
def revoke(prefix: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        keys.revoke_key(db.session(), prefix)
    except ServiceError:
        abort(404)
    flash(gettext("API key %(id)s revoked.", id=prefix), "success")
    return redirect(url_for("api_keys.index"), 303)


@bp.post("/webhooks")
def add_webhook():
    _key_form, form, _keys = _forms(hook_form=WebhookForm())
    if not form.validate_on_submit():
        return _render(hook_form=form, status=400)
    try:
        webhooks.register(db.session(), url=form.url.data, secret=form.secret.data,
                          key_prefix=form.key.data or None, office_code=form.office.data or None,
                          created_by=current_user)
    except ServiceError as exc:
        return _render(hook_form=form, error=exc.message, status=exc.status)
    flash(gettext("Webhook registered."), "success")
    return redirect(url_for("api_keys.index"), 303)


@bp.post("/webhooks/<public_id>/remove")
def remove_webhook(public_id: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        webhooks.revoke(db.session(), public_id)
    except ServiceError:
        abort(404)
    flash(gettext("Webhook removed."), "success")
    return redirect(url_for("api_keys.index"), 303)
