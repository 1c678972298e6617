"""Admin console section: offices (issue 13). A province admin sees, creates and edits every
office of the province, imports its communes, gives provisional offices their agency code
and deactivates an office with a successor; a commune admin edits their own office's
details. Anything else is a 404. Offices are addressed by agency code."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from district_portal import access, db
from district_portal.forms.admin_offices import (
    KIND_LABELS,
    AgencyCodeForm,
    DeactivateForm,
    OfficeDetailsForm,
    OfficeForm,
    ReasonForm,
)
from district_portal.services.admin import offices
from district_portal.services.documents import signing
from district_portal.views.admin import bp, section

section("admin.offices_list", _l("Offices"),
        _l("Addresses, phones, opening hours and postage; new offices, the province's "
           "communes, mergers."))


def _office(code: str):
    office = offices.administered(db.session(), current_user, code)
    if office is None:
        abort(404)
    return office


def _refused(exc: offices.OfficeError, form) -> str | None:
    """Put a refusal beside its field (returns None) or return it for the top of the page."""
    if exc.status == 404:
        abort(404)
    field = getattr(form, exc.field, None) if exc.field else None
    if field is None:
        return exc.message
    field.errors = [*field.errors, exc.message]
    return None


def _values(form) -> offices.OfficeValues:
    values = offices.OfficeValues(
        address=form.address.data or "", phone=form.phone.data or "",
        hours=getattr(form, "hours_list", None), postage=form.postage.data)
    if isinstance(form, OfficeForm):
        values.agency_code, values.name = form.agency_code.data, form.name.data
        values.kind, values.parent = form.kind.data or "", form.parent.data or ""
        values.admin_unit_code = form.admin_unit_code.data
    return values


@bp.get("/offices/")
def offices_list(error=None, status=200):
    session = db.session()
    return render_template(
        "admin/offices/index.html", rows=offices.tree(session, current_user), error=error,
        province_admin=access.is_province_admin(current_user),
        root=offices.province_root(current_user), kinds=KIND_LABELS,
        confirm=ReasonForm(formdata=None)), status


def _office_form(office=None):
    session = db.session()
    root = office is not None and office is offices.province_root(current_user)
    form = OfficeForm() if access.can_restructure_office(current_user, office) \
        else OfficeDetailsForm()
    if isinstance(form, OfficeForm):
        form.set_choices(offices.parent_choices(session, current_user, office), root)
    return form


def _render_form(form, office=None, error=None, status=200):
    return render_template("admin/offices/form.html", form=form, office=office, error=error,
                           full=isinstance(form, OfficeForm), signing=_signing(office)), status


def _signing(office) -> str:
    """How the office's results are signed (the certificates are files on the server,
    SIGNING_P12_DIR/<agency code>.p12, not set here)."""
    if office is None:
        return ""
    cert = signing.certificate_for(office)
    if cert is None:
        return gettext("Results of this office are not signed digitally: no certificate is "
                       "installed on the server.")
    if cert.path.name == f"{office.agency_code}.p12":
        return gettext("Results of this office are signed with its own certificate.")
    return gettext("Results of this office are signed with the province's certificate.")


@bp.route("/offices/new", methods=["GET", "POST"])
def office_new():
    if not access.can_restructure_office(current_user, None):
        abort(404)
    form = _office_form()
    if not form.is_submitted():
        form.kind.data = "commune"
        root = offices.province_root(current_user)
        form.parent.data = root.agency_code if root else ""
        return _render_form(form)
    if not form.validate():
        return _render_form(form, status=400)
    try:
        office = offices.create(db.session(), current_user, _values(form))
    except offices.OfficeError as exc:
        return _render_form(form, error=_refused(exc, form), status=400)
    flash(gettext("Office %(name)s created.", name=office.name), "success")
    return redirect(url_for("admin.offices_list"), 303)


@bp.route("/offices/<agency_code>", methods=["GET", "POST"])
def office_edit(agency_code: str):
    office = _office(agency_code)
    form = _office_form(office)
    if not form.is_submitted():
        form.fill(office)
        return _render_form(form, office)
    if not form.validate():
        return _render_form(form, office, status=400)
    try:
        changed = offices.update(db.session(), current_user, office, _values(form))
    except offices.OfficeError as exc:
        return _render_form(form, office, error=_refused(exc, form), status=400)
    flash(gettext("Office %(name)s saved.", name=office.name) if changed
          else gettext("Nothing changed."), "success")
    return redirect(url_for("admin.offices_list"), 303)


@bp.route("/offices/<agency_code>/code", methods=["GET", "POST"])
def office_code(agency_code: str):
    office = _office(agency_code)
    if not office.is_provisional or not access.can_restructure_office(current_user, office):
        abort(404)
    form, error = AgencyCodeForm(), None
    if form.is_submitted():
        if form.validate():
            try:
                offices.set_code(db.session(), current_user, office, form.agency_code.data)
            except offices.OfficeError as exc:
                error = _refused(exc, form)
            else:
                flash(gettext("%(name)s now has the agency code %(code)s.", name=office.name,
                              code=office.agency_code), "success")
                return redirect(url_for("admin.offices_list"), 303)
        return render_template("admin/offices/code.html", form=form, office=office,
                               error=error), 400
    return render_template("admin/offices/code.html", form=form, office=office, error=None)


@bp.route("/offices/<agency_code>/deactivate", methods=["GET", "POST"])
def office_deactivate(agency_code: str):
    office = _office(agency_code)
    if not office.active or not access.can_restructure_office(current_user, office):
        abort(404)
    form, error = DeactivateForm(), None
    form.set_choices(offices.successor_choices(db.session(), current_user, office))
    if form.is_submitted():
        if form.validate():
            try:
                offices.deactivate(db.session(), current_user, office, form.successor.data,
                                   form.note.data or "")
            except offices.OfficeError as exc:
                error = _refused(exc, form)
            else:
                flash(gettext("%(name)s deactivated: its new dossiers go to %(successor)s.",
                              name=office.name, successor=office.successor.name), "success")
                return redirect(url_for("admin.offices_list"), 303)
        return render_template("admin/offices/deactivate.html", form=form, office=office,
                               error=error), 400
    return render_template("admin/offices/deactivate.html", form=form, office=office,
                           error=None)


@bp.post("/offices/<agency_code>/reactivate")
def office_reactivate(agency_code: str):
    office = _office(agency_code)
    if office.active or not access.can_restructure_office(current_user, office):
        abort(404)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    offices.reactivate(db.session(), current_user, office, form.note.data or "")
    flash(gettext("%(name)s is active again.", name=office.name), "success")
    return redirect(url_for("admin.offices_list"), 303)


@bp.post("/offices/import")
def offices_import():
    if offices.province_root(current_user) is None:
        abort(404)
    if not ReasonForm().validate_on_submit():
        abort(400)
    try:
        result = offices.import_communes(db.session(), current_user)
    except offices.OfficeError as exc:
        if exc.status == 404:
            abort(404)
        return offices_list(error=exc.message, status=exc.status)
    flash(gettext("Communes imported: %(created)d created, %(existing)d already there. "
                  "The new ones need their real agency code before they take dossiers.",
                  created=result.created, existing=result.existing), "success")
    return redirect(url_for("admin.offices_list"), 303)
