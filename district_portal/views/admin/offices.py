"""Admin console section: offices (issue 13). A province admin sees, creates and edits every
office of the province, imports its communes, gives provisional offices their agency code
and deactivates an office with a successor; a commune admin edits their own office's
details. Anything else is a 404. Offices are addressed by agency code."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from district_portal import access, db
from district_portal.forms.admin_offices import (
    KIND_LABELS,
    AgencyCodeForm,
    CertificateForm,
    CertificateRemoveForm,
    DeactivateForm,
    OfficeDetailsForm,
    OfficeForm,
    ReasonForm,
)
from district_portal.services.admin import office_certificates as certificates
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


def _office_form(office=None, blank: bool = False):
    """The office's form; `blank`: not bound to the request (another form was posted)."""
    session = db.session()
    root = office is not None and office is offices.province_root(current_user)
    kwargs = {"formdata": None} if blank else {}
    form = OfficeForm(**kwargs) if access.can_restructure_office(current_user, office) \
        else OfficeDetailsForm(**kwargs)
    if isinstance(form, OfficeForm):
        form.set_choices(offices.parent_choices(session, current_user, office), root)
    return form


def _render_form(form, office=None, error=None, status=200, cert_form=None, remove_form=None):
    can_sign = office is not None and access.can_set_signing_certificate(current_user, office)
    if can_sign:
        cert_form = cert_form or CertificateForm(formdata=None)
        remove_form = remove_form or CertificateRemoveForm(formdata=None)
    return render_template("admin/offices/form.html", form=form, office=office, error=error,
                           full=isinstance(form, OfficeForm), signing=_signing(office),
                           cert_form=cert_form if can_sign else None,
                           remove_form=remove_form if can_sign else None), status


def _folder() -> str | None:
    return current_app.config.get("SIGNING_P12_DIR") or None


def _signing(office) -> dict | None:
    """How the office's results are signed: by its own certificate
    (SIGNING_P12_DIR/<agency code>.p12), the province's default, or not at all; and what the
    certificate file says (None if it cannot be read)."""
    if office is None:
        return None
    cert = signing.certificate_for(office)
    if cert is None:
        return {"message": gettext("Results of this office are not signed digitally: no "
                                   "certificate is installed on the server."),
                "own": False, "info": None, "installed": False, "folder": bool(_folder())}
    own = cert.path.name == f"{office.agency_code}.p12"
    return {"message": gettext("Results of this office are signed with its own certificate.")
            if own else gettext("Results of this office are signed with the province's "
                                "certificate."),
            "own": own, "info": certificates.read(cert.path, cert.password), "installed": True,
            "folder": bool(_folder())}


def _renamed(old: str, office) -> None:
    """The office's agency code changed: its certificate files follow it."""
    try:
        certificates.rename(_folder(), old, office.agency_code)
    except OSError:
        current_app.logger.exception("cannot rename the certificate of %s", old)
        flash(gettext("The office's certificate file could not be renamed to the new agency "
                      "code: ask the server's administrator to rename it."), "error")


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
    old_code = office.agency_code
    try:
        changed = offices.update(db.session(), current_user, office, _values(form))
    except offices.OfficeError as exc:
        return _render_form(form, office, error=_refused(exc, form), status=400)
    _renamed(old_code, office)
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
            old_code = office.agency_code
            try:
                offices.set_code(db.session(), current_user, office, form.agency_code.data)
            except offices.OfficeError as exc:
                error = _refused(exc, form)
            else:
                _renamed(old_code, office)
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


def _office_page(office, **forms):
    form = _office_form(office, blank=True)
    form.fill(office)
    return _render_form(form, office, status=400, **forms)


@bp.post("/offices/<agency_code>/certificate")
def office_certificate(agency_code: str):
    """Install the office's own signing certificate (a province admin's)."""
    office = _office(agency_code)
    if not access.can_set_signing_certificate(current_user, office):
        abort(404)
    form = CertificateForm()
    if not form.validate_on_submit():
        return _office_page(office, cert_form=form)
    upload = form.certificate.data
    data = upload.read(certificates.MAX_BYTES + 1) if upload else b""
    try:
        info = certificates.install(db.session(), current_user, office, _folder(), data,
                                    form.certificate_password.data or "")
    except certificates.CertificateError as exc:
        if exc.status == 404:
            abort(404)
        field = form.certificate_password if exc.field == "password" else form.certificate
        field.errors = [*field.errors, exc.message]
        return _office_page(office, cert_form=form)
    flash(gettext("The certificate of %(name)s (%(subject)s) is installed: the office's "
                  "results are signed with it from now on.", name=office.name,
                  subject=info.common_name), "success")
    return redirect(url_for("admin.office_edit", agency_code=office.agency_code), 303)


@bp.post("/offices/<agency_code>/certificate/remove")
def office_certificate_remove(agency_code: str):
    office = _office(agency_code)
    if not access.can_set_signing_certificate(current_user, office):
        abort(404)
    form = CertificateRemoveForm()
    if not form.validate_on_submit():
        return _office_page(office, remove_form=form)
    try:
        removed = certificates.remove(db.session(), current_user, office, _folder())
    except certificates.CertificateError as exc:
        if exc.status == 404:
            abort(404)
        form.confirm.errors = [*form.confirm.errors, exc.message]
        return _office_page(office, remove_form=form)
    flash(gettext("The office's own certificate is removed: its results are signed with the "
                  "province's certificate.") if removed
          else gettext("This office has no certificate of its own."), "success")
    return redirect(url_for("admin.office_edit", agency_code=office.agency_code), 303)
