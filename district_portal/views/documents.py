"""Documents: results (prepare, issue, download), slips and the ledger as PDFs, and /verify."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required

from district_portal import access, db
from district_portal.extensions import limiter
from district_portal.forms.documents import IssueForm, LedgerForm, PrepareResultForm, VerifyForm
from district_portal.models import Attachment
from district_portal.services.documents import issuing, ledgers, slips, verification
from district_portal.services.documents.results import ResultTemplateError
from district_portal.services.dossiers import filing
from district_portal.views import attachment_response, pdf_response

bp = Blueprint("documents", __name__)

SLIP_BUILDERS = {
    "receipt": slips.receipt_for,
    "supplement": slips.supplement_slip,
    "refusal": slips.refusal_slip,
    "apology": slips.apology_slip,
    "control": slips.control_slip,
}
SLIP_FILE_NAMES = {"receipt": "phieu-tiep-nhan", "supplement": "phieu-bo-sung",
                   "refusal": "phieu-tu-choi", "apology": "phieu-xin-loi",
                   "control": "phieu-kiem-soat"}


def _staff_dossier(code: str, check=None):
    """The dossier by code if the current staff member may see it (404 for everyone else);
    403 when they may see it but `check` (a question of access.py) says no."""
    dossier = filing.get_by_code(db.session(), code)
    if dossier is None or not access.is_staff_of(current_user, dossier):
        abort(404)
    if check is not None and not check(current_user, dossier):
        abort(403)
    return dossier


def _own_dossier(public_id: str):
    dossier = filing.get_by_public_id(db.session(), public_id)
    if dossier is None or not access.can_view_filed_dossier(current_user, dossier):
        abort(404)
    return dossier


def _error(status: int, message, title=None):
    return render_template("error.html", code=status, message=str(message),
                           title=title or gettext("This action is not possible now")), status


# --- results --------------------------------------------------------------------------------


def _render_result_page(dossier, form=None, error=None, status=200):
    return render_template(
        "documents/result.html", dossier=dossier, form=form or PrepareResultForm(),
        issue_form=IssueForm(version=dossier.version), error=error,
        prepared=issuing.prepared_result(dossier), has_template=issuing.has_template(dossier),
        preparable=issuing.is_preparable(dossier),
        issued=issuing.is_issued(dossier),
        can_issue=access.can_issue_result(current_user, dossier),
        max_mb=current_app.config["MAX_UPLOAD_BYTES"] // 1048576), status


@bp.route("/staff/dossiers/<code>/result", methods=["GET", "POST"])
@login_required
def prepare_result(code: str):
    dossier = _staff_dossier(code, access.can_prepare_result)
    form = PrepareResultForm()
    if request.method == "GET":
        return _render_result_page(dossier)
    if not form.validate_on_submit():
        return _render_result_page(dossier, form, status=400)
    try:
        if form.way.data == issuing.SCAN:
            issuing.prepare_scan(db.session(), dossier, current_user, form.scan.data)
        else:
            issuing.prepare_rendered(db.session(), dossier, current_user)
    except (issuing.IssuingError, ResultTemplateError) as exc:
        # Nothing of a refused result is kept: db.py rolls the request back.
        return _render_result_page(dossier, form, error=exc.message, status=exc.status)
    flash(gettext("The result is prepared. A leader can now issue it."), "success")
    return redirect(url_for("documents.prepare_result", code=code), 303)


@bp.get("/staff/dossiers/<code>/result/preview.pdf")
@login_required
def preview_result(code: str):
    dossier = _staff_dossier(code, access.can_prepare_result)
    try:
        pdf = issuing.preview(dossier)
    except ResultTemplateError as exc:
        return _error(400, exc.message)
    return pdf_response(pdf, f"xem-truoc-{dossier.code}.pdf", inline=True)


@bp.post("/staff/dossiers/<code>/result/issue")
@login_required
def issue_result(code: str):
    dossier = _staff_dossier(code)
    form = IssueForm()
    if not form.validate_on_submit():
        abort(400)
    # WorkflowError (not a leader, wrong status, stale version) → the error page, rolled back.
    issuing.issue(db.session(), dossier, current_user, expected_version=form.version.data)
    flash(gettext("The result has been issued. The applicant has been told."), "success")
    return redirect(url_for("documents.prepare_result", code=code), 303)


@bp.get("/staff/dossiers/<code>/result.pdf")
@login_required
def staff_result(code: str):
    """The issued result, or before issue the prepared one (for checking)."""
    dossier = _staff_dossier(code)
    attachment = issuing.issued_attachment(dossier) or issuing.prepared_result(dossier)
    if attachment is None:
        abort(404)
    return _send_result(dossier, attachment)


@bp.get("/my/dossiers/<public_id>/result.pdf")
@login_required
def resident_result(public_id: str):
    dossier = _own_dossier(public_id)
    attachment = issuing.issued_attachment(dossier)
    if attachment is None or not access.can_download_result(current_user, dossier):
        abort(404)
    return _send_result(dossier, attachment)


def _send_result(dossier, attachment: Attachment):
    return attachment_response(attachment, f"ket-qua-{dossier.code}.pdf")


# --- slips ----------------------------------------------------------------------------------


def _slip_response(dossier, kind: str):
    try:
        slip = SLIP_BUILDERS[kind](dossier)
    except slips.SlipError as exc:
        return _error(404, str(exc), gettext("This slip does not exist yet"))
    return pdf_response(slips.render_slip(slip), f"{SLIP_FILE_NAMES[kind]}-{dossier.code}.pdf")


@bp.get("/staff/dossiers/<code>/slips/<kind>.pdf")
@login_required
def staff_slip(code: str, kind: str):
    dossier = _staff_dossier(code)
    if not access.can_download_slip(current_user, dossier, kind):
        abort(404)
    return _slip_response(dossier, kind)


@bp.get("/my/dossiers/<public_id>/slips/<kind>.pdf")
@login_required
def resident_slip(public_id: str, kind: str):
    dossier = _own_dossier(public_id)
    if not access.can_download_slip(current_user, dossier, kind):
        abort(404)
    return _slip_response(dossier, kind)


# --- the ledger -----------------------------------------------------------------------------


@bp.get("/staff/ledger")
@login_required
def ledger():
    if not access.can_print_ledger(current_user):
        abort(404)
    first, last = ledgers.this_month()
    form = LedgerForm(request.args, date_from=first.isoformat(), date_to=last.isoformat())
    return render_template("documents/ledger.html", form=form, office=current_user.office)


@bp.get("/staff/ledger.pdf")
@login_required
def ledger_pdf():
    if not access.can_print_ledger(current_user):
        abort(404)
    form = LedgerForm(request.args)
    try:
        first, last = ledgers.parse_period(form.date_from.data, form.date_to.data)
    except ledgers.PeriodError as exc:
        return render_template("documents/ledger.html", form=form, office=current_user.office,
                               error=exc.message), 400
    sheet = ledgers.office_ledger(db.session(), current_user.office, first, last)
    return pdf_response(slips.render_slip(sheet),
                        f"so-theo-doi-{first:%Y%m%d}-{last:%Y%m%d}.pdf")


# --- verification (public) ------------------------------------------------------------------


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("20/minute;200/day", methods=["POST"])
def verify():
    form = VerifyForm()
    if request.method == "GET":
        return render_template("verify/index.html", form=form)
    if not form.validate_on_submit():
        return render_template("verify/index.html", form=form,
                               error=gettext("Your form has expired. Send it again.")), 400
    upload = form.document.data
    if upload is None or not getattr(upload, "filename", None):
        return render_template("verify/index.html", form=form,
                               error=gettext("Choose the PDF file to check.")), 400
    try:
        sha256, found = verification.check_upload(db.session(), upload.stream,
                                                   current_app.config["MAX_UPLOAD_BYTES"])
    except verification.VerifyError as exc:
        return render_template("verify/index.html", form=form, error=exc.message), exc.status
    return render_template("verify/index.html", form=VerifyForm(formdata=None), checked=True,
                           sha256=sha256, found=found)


@bp.get("/verify/<token>")
def verify_token(token: str):
    found = verification.by_token(db.session(), token)
    if found is None:
        return render_template("verify/not_found.html"), 404
    return render_template("verify/token.html", found=found)
