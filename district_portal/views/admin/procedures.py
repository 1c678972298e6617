"""Admin console section: procedures (issue 13). Province admins list, create and edit the
procedures of their province's offices, publish them and change their online level with the
deciding document; versions and their differences. Commune admins get 404 here.

The form builder (fields, documents, steps, fees, result) is another section, at
/admin/procedures/<code>/form; these pages link to it by URL."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from district_portal import access, db
from district_portal.forms import ConfirmForm
from district_portal.forms.admin_procedures import (
    CreateForm,
    LevelForm,
    ProcedureFilterForm,
    PropertiesForm,
    parse_date,
)
from district_portal.services.admin import catalogue_edit as edit
from district_portal.services.admin import procedure_diff
from district_portal.services.admin.procedures import (
    ProcedureEditError,
    discard_draft,
    draft_data,
    draft_row,
    is_stale,
    save_draft,
)
from district_portal.views.admin import bp, section

section("admin.procedures", _l("Procedures"),
        _l("Create, edit, publish and change the online level of the province's procedures."),
        province_only=True)


def _catalogue_admin() -> None:
    if not access.can_edit_catalogue(current_user):
        abort(404)


def _procedure(code: str):
    _catalogue_admin()
    proc = edit.find(db.session(), current_user, code)
    if proc is None:
        abort(404)
    return proc


def _field_errors(form, exc: edit.ProcedureInputError) -> None:
    for name, message in exc.fields.items():
        getattr(form, name).errors = [*getattr(form, name).errors, message]


def form_url(code: str) -> str:
    """The form builder's page of the procedure (another section)."""
    return f"/admin/procedures/{code}/form"


@bp.get("/procedures/")
def procedures():
    _catalogue_admin()
    session = db.session()
    form = ProcedureFilterForm(request.args)
    offices = edit.administered_offices(session, current_user)
    form.set_choices(edit.fields_of(session, current_user), offices)
    page = form.page_number()
    flt = edit.AdminFilter(q=form.q.data or "", field=form.field.data or "",
                           level=form.level.data or "", published=form.published.data or "",
                           office=form.office.data or "")
    rows, total = edit.search(session, current_user, flt, page)
    pages = max(1, -(-total // edit.PER_PAGE))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("admin/procedures/index.html", form=form, rows=rows, total=total,
                           page=page, pages=pages, args=args, form_url=form_url)


@bp.route("/procedures/new", methods=["GET", "POST"])
def procedure_new():
    _catalogue_admin()
    session = db.session()
    form = CreateForm()
    form.set_offices(edit.administered_offices(session, current_user))
    errors = []
    if request.method == "GET":
        form.applicants.data = ["person", "organisation"]
    elif form.validate_on_submit():
        try:
            proc = edit.create_procedure(
                session, current_user, form.code.data, edit.Properties(**form.values()),
                form.online_level.data, form.fee_amount(), form.result_name.data)
        except edit.ProcedureInputError as exc:
            _field_errors(form, exc)
        except ProcedureEditError as exc:
            errors = procedure_diff.readable_errors(exc.errors)
        else:
            flash(gettext("Procedure %(code)s created (version 1, not published). Add its "
                          "form fields and documents next.", code=proc.code), "success")
            return redirect(url_for("admin.procedure", code=proc.code))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/procedures/new.html", form=form, errors=errors), status


@bp.get("/procedures/<code>")
def procedure(code: str):
    proc = _procedure(code)
    session = db.session()
    return render_template("admin/procedures/show.html", proc=proc,
                           data=proc.current_version.data, draft=draft_row(session, proc),
                           changes=edit.level_history(session, proc), form_url=form_url)


@bp.route("/procedures/<code>/edit", methods=["GET", "POST"])
def procedure_edit(code: str):
    proc = _procedure(code)
    session = db.session()
    form = PropertiesForm()
    offices = edit.administered_offices(session, current_user)
    known = {o.agency_code for o in offices}
    form.set_offices(offices + [o for o in proc.offices if o.agency_code not in known])
    errors, status = [], 200
    if request.method == "GET":
        form.fill(edit.Properties.of(draft_data(session, proc)))
    elif form.validate_on_submit():
        try:
            edit.store_properties(session, current_user, proc, edit.Properties(**form.values()))
            if "save_version" in request.form:
                version = save_draft(session, current_user, proc)
                flash(gettext("Saved as version %(n)d.", n=version.number), "success")
                return redirect(url_for("admin.procedure", code=proc.code))
        except edit.ProcedureInputError as exc:
            _field_errors(form, exc)
        except ProcedureEditError as exc:
            errors = procedure_diff.readable_errors(exc.errors)
        else:
            flash(gettext("Draft saved. It is not shown to residents until you save it as a "
                          "new version."), "success")
            return redirect(url_for("admin.procedure_edit", code=proc.code))
        status = 400
    else:
        status = 400
    return render_template("admin/procedures/edit.html", proc=proc, form=form, errors=errors,
                           draft=draft_row(session, proc), stale=is_stale(session, proc),
                           discard=ConfirmForm(), form_url=form_url), status


@bp.post("/procedures/<code>/discard-draft")
def procedure_discard_draft(code: str):
    proc = _procedure(code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    discard_draft(db.session(), current_user, proc)
    flash(gettext("The draft was discarded."), "success")
    return redirect(url_for("admin.procedure", code=proc.code))


def _publication(code: str, publish: bool):
    proc = _procedure(code)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        edit.set_published(db.session(), current_user, proc, publish)
        flash(gettext("The procedure is published: residents can find and file it now.")
              if publish else gettext("The procedure is withdrawn from the public pages."),
              "success")
        return redirect(url_for("admin.procedure", code=proc.code))
    return render_template("admin/procedures/publish.html", proc=proc, form=form,
                           publish=publish)


@bp.route("/procedures/<code>/publish", methods=["GET", "POST"])
def procedure_publish(code: str):
    return _publication(code, True)


@bp.route("/procedures/<code>/unpublish", methods=["GET", "POST"])
def procedure_unpublish(code: str):
    return _publication(code, False)


@bp.route("/procedures/<code>/level", methods=["GET", "POST"])
def procedure_level(code: str):
    proc = _procedure(code)
    session = db.session()
    form = LevelForm()
    if request.method == "GET":
        form.new_level.data = proc.online_level
    elif form.validate_on_submit():
        change = edit.LevelChange(form.new_level.data, form.decision_no.data,
                                  parse_date(form.decision_date.data), form.reason.data)
        try:
            edit.change_level(session, current_user, proc, change)
        except edit.ProcedureInputError as exc:
            _field_errors(form, exc)
        else:
            flash(gettext("The online level is changed; the statistics show it with its "
                          "deciding document."), "success")
            return redirect(url_for("admin.procedure", code=proc.code))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/procedures/level.html", proc=proc, form=form,
                           changes=edit.level_history(session, proc)), status


@bp.get("/procedures/<code>/versions")
def procedure_versions(code: str):
    proc = _procedure(code)
    versions = list(reversed(proc.versions))
    return render_template("admin/procedures/versions.html", proc=proc, versions=versions)


def _number(name: str) -> int | None:
    text = request.args.get(name, "")
    return int(text) if text.isdigit() and len(text) < 9 else None


@bp.get("/procedures/<code>/diff")
def procedure_diff_page(code: str):
    proc = _procedure(code)
    a = procedure_diff.version(proc, _number("a"))
    b = procedure_diff.version(proc, _number("b"))
    if a is None or b is None:
        return render_template("admin/procedures/diff.html", proc=proc, a=a, b=b, changes=None,
                               versions=proc.versions), 400
    changes = procedure_diff.diff(a.data, b.data)
    return render_template("admin/procedures/diff.html", proc=proc, a=a, b=b, changes=changes,
                           versions=proc.versions)
