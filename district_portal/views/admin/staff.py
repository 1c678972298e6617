"""Admin console sections: staff accounts and residents (issue 13, item 4).

Staff: list and search, create (the person gets a link to choose their own password), change
roles, office and job title, deactivate, reactivate, reset the password or the two-step login.
Residents: search and a read-only page (each view is audited), deactivate and reactivate with
a reason. Accounts are named by their public id; one an admin does not reach is a 404. The
rules are in services/admin/accounts.py and residents.py."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from district_portal import db
from district_portal.forms import ConfirmForm
from district_portal.forms.admin_staff import (
    ROLE_NAMES,
    EditStaffForm,
    NewStaffForm,
    ReasonForm,
    ResidentSearchForm,
    StaffFilterForm,
)
from district_portal.phones import display_phone
from district_portal.services.admin import accounts, residents
from district_portal.views.admin import NO_STORE, bp, section

section("admin.staff", lazy_gettext("Staff accounts"),
        lazy_gettext("Create accounts, set roles and office, deactivate, reset passwords and "
                     "two-step login."))
section("admin.residents", lazy_gettext("Residents"),
        lazy_gettext("Search residents' accounts (read-only, every view is logged) and "
                     "deactivate them."))


def _admin():
    return current_user._get_current_object()


def _field_error(form, exc) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def _link_sent(link) -> None:
    flash(gettext("A link to choose a password was sent to %(to)s.",
                  to=accounts.contact_label(link)), "success")


@bp.get("/staff/")
def staff():
    session = db.session()
    offices = accounts.offices_in_scope(session, _admin())
    form = StaffFilterForm(request.args)
    form.set_choices(offices)
    flt = accounts.StaffFilter(text=form.q.data or "", office_code=form.office.data or "",
                               role=form.role.data or "", active=form.active.data or "")
    rows = accounts.search_staff(session, _admin(), flt)
    return render_template("admin/staff/list.html", form=form, rows=rows,
                           limit=accounts.MAX_LISTED, phone=display_phone,
                           role_names=ROLE_NAMES), 200, NO_STORE


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new():
    session = db.session()
    form = NewStaffForm()
    form.set_offices(accounts.offices_in_scope(session, _admin()))
    if request.method == "GET" and len(form.office.choices) == 1:
        form.office.data = form.office.choices[0].value
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            data = accounts.NewStaff(
                full_name=form.full_name.data, email=form.email.data or None,
                phone=form.phone.data or None, job_title=form.job_title.data or None,
                office_code=form.office.data, roles=tuple(form.roles.data or ()))
            try:
                user, link = accounts.create_staff(
                    session, _admin(), data, secret_key=current_app.config["SECRET_KEY"],
                    base_url=current_app.config["BASE_URL"])
            except accounts.StaffError as exc:
                _field_error(form, exc)
            else:
                _link_sent(link)
                return redirect(url_for("admin.staff_edit", public_id=user.public_id), 303)
    return render_template("admin/staff/new.html", form=form), status, NO_STORE


def _staff_or_404(public_id: str):
    account = accounts.find_staff(db.session(), _admin(), public_id)
    if account is None:
        abort(404)
    return account


def _edit_page(account, form=None, error=None, status=200):
    if form is None:
        form = EditStaffForm(formdata=None, obj=account)
        form.office.data = account.office.agency_code
        form.roles.data = list(account.roles)
    form.set_offices(accounts.offices_in_scope(db.session(), _admin()))
    return render_template("admin/staff/edit.html", account=account, form=form, error=error,
                           button=ConfirmForm(), phone=display_phone(account.phone),
                           is_self=account.id == _admin().id), status, NO_STORE


@bp.route("/staff/<public_id>", methods=["GET", "POST"])
def staff_edit(public_id: str):
    account = _staff_or_404(public_id)
    if request.method == "GET":
        return _edit_page(account)
    form = EditStaffForm()
    form.set_offices(accounts.offices_in_scope(db.session(), _admin()))
    if not form.validate():
        return _edit_page(account, form, status=400)
    try:
        accounts.update_staff(db.session(), _admin(), account, roles=form.roles.data,
                              office_code=form.office.data, job_title=form.job_title.data)
    except accounts.StaffError as exc:
        _field_error(form, exc)
        return _edit_page(account, form, status=exc.status)
    flash(gettext("The account is saved."), "success")
    return redirect(url_for("admin.staff_edit", public_id=account.public_id), 303)


def _staff_action(public_id: str, act):
    account = _staff_or_404(public_id)
    if not ConfirmForm().validate_on_submit():
        return _edit_page(account, error=gettext("Your form has expired. Send it again."),
                          status=400)
    try:
        message = act(account)
    except accounts.StaffError as exc:
        return _edit_page(account, error=str(exc), status=exc.status)
    if message:
        flash(message, "success")
    return redirect(url_for("admin.staff_edit", public_id=account.public_id), 303)


@bp.post("/staff/<public_id>/deactivate")
def staff_deactivate(public_id: str):
    def act(account):
        accounts.set_active(db.session(), _admin(), account, False)
        return gettext("The account is deactivated; its sessions have ended.")
    return _staff_action(public_id, act)


@bp.post("/staff/<public_id>/reactivate")
def staff_reactivate(public_id: str):
    def act(account):
        accounts.set_active(db.session(), _admin(), account, True)
        return gettext("The account is active again.")
    return _staff_action(public_id, act)


@bp.post("/staff/<public_id>/reset-password")
def staff_reset_password(public_id: str):
    def act(account):
        link = accounts.reset_password(db.session(), _admin(), account,
                                       secret_key=current_app.config["SECRET_KEY"],
                                       base_url=current_app.config["BASE_URL"])
        _link_sent(link)
    return _staff_action(public_id, act)


@bp.post("/staff/<public_id>/reset-two-factor")
def staff_reset_two_factor(public_id: str):
    def act(account):
        accounts.reset_two_factor(db.session(), _admin(), account)
        return gettext("The two-step login is removed; the person sets it up again at their "
                       "next login.")
    return _staff_action(public_id, act)


@bp.post("/staff/<public_id>/end-sessions")
def staff_end_sessions(public_id: str):
    def act(account):
        accounts.end_sessions(db.session(), _admin(), account)
        return gettext("Every session of this person has ended; they log in again.")
    return _staff_action(public_id, act)


# --- residents --------------------------------------------------------------------------------


@bp.get("/residents/", endpoint="residents")
def residents_page():
    form = ResidentSearchForm(request.args)
    rows = []
    if form.validate() and form.q.data:
        rows = residents.search(db.session(), _admin(), form.q.data)
    return render_template("admin/staff/residents.html", form=form, rows=rows,
                           searched=bool(form.q.data), limit=residents.MAX_RESULTS,
                           id_number=residents.id_number_of, phone=display_phone), 200, NO_STORE


def _resident_page(resident, form=None, status=200):
    info = residents.details(db.session(), _admin(), resident)
    return render_template("admin/staff/resident.html", resident=resident, info=info,
                           form=form or ReasonForm(formdata=None),
                           phone=display_phone), status, NO_STORE


def _resident_or_404(public_id: str):
    resident = residents.find(db.session(), _admin(), public_id)
    if resident is None:
        abort(404)
    return resident


@bp.get("/residents/<public_id>")
def resident(public_id: str):
    return _resident_page(_resident_or_404(public_id))


def _resident_active(public_id: str, active: bool):
    found = _resident_or_404(public_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _resident_page(found, form, 400)
    try:
        residents.set_active(db.session(), _admin(), found, active, form.reason.data)
    except residents.ResidentError as exc:
        _field_error(form, exc)
        return _resident_page(found, form, exc.status)
    flash(gettext("The account is active again.") if active else
          gettext("The account is deactivated; its sessions have ended."), "success")
    return redirect(url_for("admin.resident", public_id=found.public_id), 303)


@bp.post("/residents/<public_id>/deactivate")
def resident_deactivate(public_id: str):
    return _resident_active(public_id, False)


@bp.post("/residents/<public_id>/reactivate")
def resident_reactivate(public_id: str):
    return _resident_active(public_id, True)
