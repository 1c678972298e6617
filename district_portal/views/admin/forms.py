"""Admin console section: the form builder (issue 13, item 2).

/admin/procedures/<code>/form: a procedure's e-form fields, required documents, handbook steps,
fee lines and result definition, edited in its draft one item at a time (no JavaScript: "up" and
"down" buttons reorder), previewed as the resident will see it, then saved as a new version or
discarded. Province admins who may edit the procedure only (access.can_edit_procedure); anyone
else gets a 404. The logic is in services/admin/form_builder.py and form_result.py."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from district_portal import access, db
from district_portal.eform import DossierForm, procedure_specs
from district_portal.forms import ConfirmForm
from district_portal.forms.admin_form_builder import (
    DocumentForm,
    FeeForm,
    FeeLineForm,
    FieldForm,
    ResultForm,
    StepForm,
)
from district_portal.models import Procedure
from district_portal.services.admin import form_builder as builder
from district_portal.services.admin import form_result
from district_portal.services.admin import procedures as drafts
from district_portal.services.admin.form_builder import BuilderError
from district_portal.views.admin import bp, section

section("admin.form_procedures", lazy_gettext("Form builder"),
        lazy_gettext("The e-form, documents, steps, fees and result of each procedure."),
        province_only=True)

FORMS = {"fields": FieldForm, "documents": DocumentForm, "steps": StepForm,
         "fee-lines": FeeLineForm}
TITLES = {"fields": lazy_gettext("Question"), "documents": lazy_gettext("Required document"),
          "steps": lazy_gettext("Handbook step"), "fee-lines": lazy_gettext("Fee line")}


def _procedure(code: str) -> Procedure:
    proc = builder.procedure_by_code(db.session(), code)
    if proc is None or proc.current_version is None or \
            not access.can_edit_procedure(current_user, proc):
        abort(404)
    return proc


def _banner(proc: Procedure) -> dict:
    session = db.session()
    return {"has_draft": drafts.draft_row(session, proc) is not None,
            "stale": drafts.is_stale(session, proc),
            "dossiers": builder.dossiers_using(session, proc)}


def _back(proc: Procedure, anchor: str = ""):
    return redirect(url_for("admin.form_index", code=proc.code) + anchor, 303)


@bp.get("/procedures/form")
def form_procedures():
    """The builder's entry: procedures this admin may edit (the list is /admin/procedures/)."""
    if not access.can_edit_catalogue(current_user):
        abort(404)
    procs = builder.procedures(db.session())
    return render_template("admin/form/procedures.html",
                           procs=[p for p in procs if access.can_edit_procedure(current_user, p)])


@bp.get("/procedures/<code>/form")
def form_index(code: str, errors=None, status=200):
    proc = _procedure(code)
    data = drafts.draft_data(db.session(), proc)
    return render_template("admin/form/index.html", proc=proc, v=data, banner=_banner(proc),
                           step_parts=builder.step_parts, confirm=ConfirmForm(),
                           errors=errors or {}, fee=data.get("fee"),
                           readiness=builder.readiness_texts(data)), status


def _item_form(part: str, data: dict, index: int | None):
    cls = FORMS[part]
    item = builder.items(data, part)[index] if index is not None else None
    form = cls() if request.method == "POST" or item is None else \
        cls(data=builder.form_data(part, item))
    if part == "fields":
        form.set_fields(data.get("fields", []), item["key"] if item else None)
    elif part == "fee-lines":
        form.set_fields(data.get("fields", []))
    return form


@bp.route("/procedures/<code>/form/new/<part>", methods=["GET", "POST"])
@bp.route("/procedures/<code>/form/<part>/<ref>", methods=["GET", "POST"])
def form_item(code: str, part: str, ref: str | None = None):
    proc = _procedure(code)
    if part not in FORMS:
        abort(404)
    session = db.session()
    data = drafts.draft_data(session, proc)
    index = builder.find_item(data, part, ref) if ref is not None else None
    if ref is not None and index is None:
        abort(404)
    form = _item_form(part, data, index)
    errors, status = {}, 200
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            builder.apply_item(session, current_user, proc, part, ref, form.values())
        except BuilderError as exc:
            errors, status = exc.errors, 400
        else:
            flash(gettext("Saved in the draft."), "success")
            return _back(proc, f"#{part}")
    return render_template("admin/form/edit.html", proc=proc, form=form, errors=errors,
                           part=part, ref=ref, title=TITLES[part], banner=_banner(proc)), status


@bp.post("/procedures/<code>/form/<part>/<ref>/move")
def form_move(code: str, part: str, ref: str):
    proc = _procedure(code)
    if part not in FORMS or not ConfirmForm().validate():
        abort(404 if part not in FORMS else 400)
    try:
        builder.move_item(db.session(), current_user, proc, part, ref,
                          request.form.get("direction") == "up")
    except LookupError:
        abort(404)
    return _back(proc, f"#{part}")


@bp.route("/procedures/<code>/form/<part>/<ref>/delete", methods=["GET", "POST"])
def form_delete(code: str, part: str, ref: str):
    proc = _procedure(code)
    session = db.session()
    data = drafts.draft_data(session, proc)
    index = builder.find_item(data, part, ref) if part in FORMS else None
    if index is None:
        abort(404)
    form, errors, status = ConfirmForm(), {}, 200
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            builder.delete_item(session, current_user, proc, part, ref)
        except BuilderError as exc:
            errors, status = exc.errors, 400
        else:
            flash(gettext("Deleted from the draft."), "success")
            return _back(proc, f"#{part}")
    item = builder.items(data, part)[index]
    return render_template("admin/form/delete.html", proc=proc, form=form, errors=errors,
                           part=part, ref=ref, item=item, title=TITLES[part],
                           step_parts=builder.step_parts, banner=_banner(proc)), status


@bp.route("/procedures/<code>/form/fee", methods=["GET", "POST"])
def form_fee(code: str):
    proc = _procedure(code)
    session = db.session()
    if request.method == "GET":
        form = FeeForm(data=builder.fee_form_data(drafts.draft_data(session, proc)))
    else:
        form = FeeForm()
    errors, status = {}, 200
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            builder.save_fee(session, current_user, proc, form.values())
        except BuilderError as exc:
            errors, status = exc.errors, 400
        else:
            flash(gettext("Saved in the draft."), "success")
            return _back(proc, "#fee")
    return render_template("admin/form/edit.html", proc=proc, form=form, errors=errors,
                           part="fee", ref=None, title=lazy_gettext("Fee"),
                           banner=_banner(proc)), status


@bp.route("/procedures/<code>/form/result", methods=["GET", "POST"])
def form_result_edit(code: str):
    proc = _procedure(code)
    session = db.session()
    data = drafts.draft_data(session, proc)
    form = ResultForm() if request.method == "POST" else \
        ResultForm.for_result(data.get("result") or {})
    form.set_fields(data.get("fields", []))
    errors, status = {}, 200
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            if request.form.get("_action") == "sample":
                pdf = form_result.sample_from_form(session, proc, form.values(),
                                                   form.verify_fields.data or [])
                return _pdf(pdf, proc)
            form_result.save_result(session, current_user, proc, form.values(),
                                    form.verify_fields.data or [])
        except BuilderError as exc:
            errors, status = exc.errors, 400
        else:
            flash(gettext("Saved in the draft."), "success")
            return _back(proc, "#result")
    return render_template("admin/form/edit.html", proc=proc, form=form, errors=errors,
                           part="result", ref=None, title=lazy_gettext("Result"),
                           banner=_banner(proc)), status


def _pdf(pdf: bytes, proc: Procedure):
    import io

    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=False,
                     download_name=f"ket-qua-mau-{proc.code}.pdf")


@bp.get("/procedures/<code>/form/result/sample.pdf")
def form_result_sample(code: str):
    """The draft's result template rendered with sample answers (nothing stored)."""
    proc = _procedure(code)
    session = db.session()
    data = drafts.draft_data(session, proc)
    try:
        pdf = form_result.sample_pdf(session, proc, data)
    except form_result.ResultTemplateError as exc:
        return form_index(code, errors={"sample": exc.message}, status=400)
    return _pdf(pdf, proc)


@bp.get("/procedures/<code>/form/preview")
def form_preview(code: str):
    """The resident's form as the draft would show it, with the filing pages' own macros;
    a GET form on this page tries answers (conditional questions appear), stores nothing."""
    proc = _procedure(code)
    data = drafts.draft_data(db.session(), proc)
    specs = procedure_specs(data)
    form = DossierForm.from_formdata(specs, request.args) if request.args else \
        DossierForm(specs)
    return render_template("admin/form/preview.html", proc=proc, v=data, form=form,
                           banner=_banner(proc))


@bp.get("/procedures/<code>/form/preview/handbook")
def form_preview_handbook(code: str):
    """The public procedure page (templates/public/procedure.html) with the draft."""
    proc = _procedure(code)
    session = db.session()
    data = drafts.draft_data(session, proc)
    offices = builder.offices_of(session, data)
    return render_template("admin/form/handbook.html", proc=proc, v=data, offices=offices,
                           preview=True)


@bp.post("/procedures/<code>/form/save")
def form_save(code: str):
    proc = _procedure(code)
    if not ConfirmForm().validate():
        abort(400)
    try:
        version = builder.save(db.session(), current_user, proc)
    except BuilderError as exc:
        return form_index(code, errors=exc.errors, status=400)
    flash(gettext("Saved as version %(n)d. Dossiers already filed keep their version.",
                  n=version.number), "success")
    return _back(proc)


@bp.post("/procedures/<code>/form/discard")
def form_discard(code: str):
    proc = _procedure(code)
    if not ConfirmForm().validate():
        abort(400)
    drafts.discard_draft(db.session(), current_user, proc)
    flash(gettext("The draft was discarded."), "success")
    return _back(proc)
