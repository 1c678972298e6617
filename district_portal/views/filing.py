"""Residents file online: draft → answers → documents → check → submit; then follow it."""

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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from district_portal import access, db
from district_portal.forms import ConfirmForm
from district_portal.forms.dossier import DossierForm
from district_portal.forms.filing import RateForm
from district_portal.models import DossierStatus
from district_portal.services import notifications
from district_portal.services.catalog import queries
from district_portal.services.documents import slips
from district_portal.services.dossiers import delivery, filing, uploads
from district_portal.services.dossiers.delivery import DeliveryError
from district_portal.services.dossiers.filing import FilingError
from district_portal.services.dossiers.workflow import (
    STATUS_LABELS,
    TRANSITIONS,
    Action,
    WorkflowError,
    perform,
)
from district_portal.services.payments import attempts as payments
from district_portal.views import attachment_response, pdf_response, steps

bp = Blueprint("filing", __name__)
UPLOAD_ENDPOINTS = {"filing.upload", "filing.supplement_upload", "filing.documents",
                    "filing.supplement"}
bp.url_value_preprocessor(steps.whole_page_uploads("filing.documents", "filing.supplement"))


def _own(public_id: str, check=access.can_view_dossier):
    dossier = filing.get_by_public_id(db.session(), public_id)
    if dossier is None or not check(current_user, dossier):
        abort(404)
    return dossier


@bp.post("/procedures/<code>/apply")
def apply(code: str):
    procedure = queries.published_procedure(db.session(), code)
    if procedure is None:
        abort(404)
    if not current_user.is_authenticated:
        # After logging in (or registering and confirming the phone) the resident comes back
        # to the procedure's page, not to this POST-only address.
        flash(gettext("Log in or create an account to file online."), "info")
        return redirect(url_for("account.login",
                                next=url_for("public.procedure", code=procedure.code)), 303)
    try:
        draft = filing.start_draft(db.session(), current_user, procedure)
    except FilingError as exc:
        return render_template("error.html", code=exc.status, title=gettext("Cannot file "
                               "online"), message=exc.message), exc.status
    return redirect(url_for("filing.edit", public_id=draft.public_id), 303)


@bp.get("/my/dossiers")
@login_required
def my_dossiers():
    rows = filing.user_dossiers(db.session(), current_user)
    # A request to answer comes first, with what the office asked for.
    asked = {d.public_id: filing.pending_supplement_request(d) for d in rows
             if access.can_answer_supplement(current_user, d)}
    rows.sort(key=lambda d: d.public_id not in asked)
    return render_template("filing/list.html", rows=rows, labels=STATUS_LABELS, asked=asked,
                           payable={d.public_id for d in rows
                                    if access.can_pay(current_user, d)})


def _files_page(dossier) -> str:
    return "filing.documents" if dossier.status == DossierStatus.DRAFT else "filing.supplement"


def _filed(dossier):
    return redirect(url_for("filing.dossier", public_id=dossier.public_id, filed=1), 303)


RESIDENT = steps.Flow(
    find=lambda public_id: filing.get_by_public_id(db.session(), public_id),
    endpoints={step: f"filing.{step}" for step in (
        "edit", "documents", "upload", "delete_file", "review", "submit", "download")},
    templates={step: f"filing/{step}.html" for step in ("edit", "documents", "review")},
    layout="base.html", save=filing.save_answers,
    # The owner submits a draft; a repeated POST finds it submitted and is answered there.
    may_submit=access.is_owner,
    may_remove_file=lambda u, d: access.can_edit_draft(u, d) or
    access.can_answer_supplement(u, d),
    files_page=_files_page, later="filing.my_dossiers", submitted=_filed)


@bp.route("/my/dossiers/<public_id>/edit", methods=["GET", "POST"])
@login_required
def edit(public_id: str):
    return steps.edit(RESIDENT, public_id)


@bp.route("/my/dossiers/<public_id>/documents", methods=["GET", "POST"])
@login_required
def documents(public_id: str):
    return steps.documents(RESIDENT, public_id)


@bp.post("/my/dossiers/<public_id>/documents/<key>")
@login_required
def upload(public_id: str, key: str):
    return steps.upload(RESIDENT, public_id, key)


@bp.post("/my/dossiers/<public_id>/supplement/documents/<key>")
@login_required
def supplement_upload(public_id: str, key: str):
    dossier = _own(public_id, access.can_answer_supplement)
    try:
        filing.add_attachment(db.session(), dossier, key, request.files.get(key),
                              current_user, kind="supplement")
    except FilingError as exc:
        return _render_supplement(dossier, None, refused=[
            uploads.Refusal(key, "", exc.message, exc.status)]), exc.status
    flash(gettext("File uploaded."), "success")
    return redirect(url_for("filing.supplement", public_id=public_id) + f"#doc-{key}", 303)


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(exc):
    """An upload over the request limit: show the same page with the message, status 413
    (the resident's documents and supplement pages, the counter's documents page)."""
    args = request.view_args or {}
    public_id, key = args.get("public_id"), args.get("key")
    if public_id and current_user.is_authenticated:
        message = steps.too_large_message(key)
        if request.endpoint in UPLOAD_ENDPOINTS:
            dossier = filing.get_by_public_id(db.session(), public_id)
            if dossier is not None and access.is_owner(current_user, dossier):
                if request.endpoint in ("filing.supplement_upload", "filing.supplement"):
                    return _render_supplement(dossier, None, refused=[
                        uploads.Refusal(key or "", "", message, 413)]), 413
                return steps.render_documents(RESIDENT, dossier, message, key, 413)
        elif request.endpoint in ("staff.counter_upload", "staff.counter_documents"):
            from district_portal.views.staff import COUNTER

            dossier = COUNTER.find(public_id)
            if dossier is not None and access.can_edit_draft(current_user, dossier):
                return steps.render_documents(COUNTER, dossier, message, key, 413)
    from district_portal.errors import render_http_error

    return render_http_error(exc)


@bp.post("/my/dossiers/<public_id>/files/<file_id>/delete")
@login_required
def delete_file(public_id: str, file_id: str):
    return steps.delete_file(RESIDENT, public_id, file_id)


@bp.get("/my/dossiers/<public_id>/files/<file_id>")
@login_required
def download(public_id: str, file_id: str):
    dossier = _own(public_id, access.can_download_attachment)
    attachment = filing.find_attachment(dossier, file_id)
    if attachment is None:
        abort(404)
    return attachment_response(attachment)


@bp.get("/my/dossiers/<public_id>/review")
@login_required
def review(public_id: str):
    return _render_review(steps.load(RESIDENT, public_id))


def _render_review(dossier, delivery_form=None, delivery_error=None, status=200):
    """The check page with the resident's choice of delivery (by post, with its postage)."""
    return steps.render_review(
        RESIDENT, dossier, status=status, postage=delivery.postage(dossier),
        delivery_form=delivery_form or delivery.load_form(dossier),
        delivery_error=delivery_error)


@bp.post("/my/dossiers/<public_id>/delivery")
@login_required
def choose_delivery(public_id: str):
    """The resident's choice of delivery: on the check page (draft) or the dossier page."""
    # Any dossier the resident owns: once the result is returned, the service says why not.
    d = _own(public_id, access.is_owner)
    form = delivery.form_from(d, request.form)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    render = _render_review if d.status == DossierStatus.DRAFT else _render_dossier
    if form.action == "refresh":  # the province changed, without JavaScript
        return render(d, delivery_form=form)
    try:
        delivery.choose(db.session(), d, form, current_user)
    except DeliveryError as exc:
        return render(d, delivery_form=form, delivery_error=exc.message, status=exc.status)
    flash(gettext("Your choice of delivery is saved."), "success")
    target = "filing.review" if d.status == DossierStatus.DRAFT else "filing.dossier"
    return redirect(url_for(target, public_id=public_id) + "#delivery", 303)


@bp.post("/my/dossiers/<public_id>/submit")
@login_required
def submit(public_id: str):
    return steps.submit(RESIDENT, public_id)


@bp.get("/my/dossiers/<public_id>")
@login_required
def dossier(public_id: str):
    d = _own(public_id)
    if d.status == DossierStatus.DRAFT:
        return redirect(url_for("filing.edit", public_id=public_id))
    return _render_dossier(d)


def _render_dossier(d, delivery_form=None, delivery_error=None, rate_form=None, status=200):
    form = filing.load_form(d)
    can_post = access.can_choose_delivery(current_user, d) and \
        delivery.postage(d) is not None
    can_rate = access.can_rate(current_user, d)
    return render_template("filing/dossier.html", dossier=d, rows=form.display_rows(),
                           docs=filing.documents(d), labels=STATUS_LABELS,
                           events=history_of(d), confirm=ConfirmForm(formdata=None),
                           can_withdraw=access.can_withdraw(current_user, d),
                           has_result=access.can_download_result(current_user, d),
                           can_supplement=access.can_answer_supplement(current_user, d),
                           request_event=filing.pending_supplement_request(d),
                           sent=notifications.for_applicant(db.session(), d),
                           slip_kinds=_slip_kinds(d),
                           delivery_form=(delivery_form or delivery.load_form(d))
                           if can_post else None,
                           delivery_error=delivery_error, postage=delivery.postage(d),
                           rate_form=(rate_form or RateForm(formdata=None)) if can_rate
                           else None,
                           can_pay=access.can_pay(current_user, d),
                           payments=payments.payments_of(db.session(), d),
                           just_filed=request.args.get("filed") == "1"), status


@bp.post("/my/dossiers/<public_id>/rate")
@login_required
def rate(public_id: str):
    # Any dossier the resident owns: a second rating, or one before the result is returned,
    # gets the workflow's explanation (409).
    d = _own(public_id, access.is_owner)
    form = RateForm()
    if form.validate_on_submit():
        perform(db.session(), d, Action.RATE, current_user, **form.rating_inputs())
    elif access.can_rate(current_user, d):
        return _render_dossier(d, rate_form=form, status=400)
    else:  # not returned yet, or rated already: the workflow says why not
        perform(db.session(), d, Action.RATE, current_user, rating=0)
    flash(gettext("Thank you: your rating has been recorded."), "success")
    return redirect(url_for("filing.dossier", public_id=public_id), 303)


RESIDENT_SLIPS = (
    ("supplement", "request_supplement", _l("Supplement request slip (PDF)")),
    ("refusal", "refuse", _l("Refusal slip (PDF)")),
    ("apology", "extend", _l("Apology and new date slip (PDF)")),
)


def _slip_kinds(d):
    """The slips the office has issued to the resident so far."""
    actions = {e.action for e in d.events}
    return [(kind, label) for kind, action, label in RESIDENT_SLIPS if action in actions]


def history_of(d):
    return [(e, TRANSITIONS[Action(e.action)].label) for e in d.events]


@bp.get("/my/dossiers/<public_id>/receipt.pdf")
@login_required
def receipt(public_id: str):
    """The filing confirmation, or form 01 once the office has accepted the dossier."""
    d = _own(public_id, access.can_view_filed_dossier)
    return pdf_response(slips.render_slip(slips.receipt_for(d)), f"phieu-{d.code}.pdf")


@bp.route("/my/dossiers/<public_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(public_id: str):
    """GET: a page of its own that says what withdrawing does. POST: withdraw."""
    # Any dossier the resident owns: once accepted, the workflow refuses with its own
    # Vietnamese explanation (409) rather than a bare "not found".
    d = _own(public_id, access.is_owner)
    if request.method == "GET":
        if not access.can_withdraw(current_user, d):
            flash(gettext("This dossier can no longer be withdrawn."), "info")
            return redirect(url_for("filing.dossier", public_id=public_id), 303)
        return render_template("filing/withdraw.html", dossier=d,
                               withdrawn_label=STATUS_LABELS[DossierStatus.WITHDRAWN])
    if not ConfirmForm().validate_on_submit():
        abort(400)
    perform(db.session(), d, Action.WITHDRAW, current_user)
    flash(gettext("Your dossier has been withdrawn."), "success")
    return redirect(url_for("filing.dossier", public_id=public_id), 303)


@bp.get("/supplement/<ref>")
@login_required
def supplement_link(ref: str):
    """The link in the supplement request's SMS: the owner's supplement page (or the dossier
    page once the request is answered)."""
    d = filing.by_ref(db.session(), ref)
    if d is None or not access.is_owner(current_user, d):
        abort(404)
    if access.can_answer_supplement(current_user, d):
        return redirect(url_for("filing.supplement", public_id=d.public_id), 303)
    return redirect(url_for("filing.dossier", public_id=d.public_id), 303)


@bp.route("/my/dossiers/<public_id>/supplement", methods=["GET", "POST"])
@login_required
def supplement(public_id: str):
    d = _own(public_id, access.is_owner)
    if not access.can_answer_supplement(current_user, d):
        flash(gettext("The office has not asked for a supplement to this dossier."), "info")
        return redirect(url_for("filing.dossier", public_id=public_id), 303)
    if request.method == "GET":
        return _render_supplement(d, filing.load_form(d))
    form = DossierForm.from_formdata(filing.form_specs(d), request.form)
    session = db.session()
    if form.action in ("refresh", "upload"):  # keep what was typed; send nothing yet
        chosen = uploads.add_chosen_files(session, d, request.files, current_user,
                                          kind="supplement")
        if chosen.added and not chosen.refused:
            flash(gettext("File uploaded."), "success")
        return _render_supplement(d, form, refused=chosen.refused), chosen.status
    try:
        chosen = uploads.send_supplement(session, d, current_user, form, request.files)
    except WorkflowError as exc:
        form.validate()
        return _render_supplement(d, form, send_error=exc.message), exc.status
    if chosen.refused or form.errors:
        return _render_supplement(d, form, refused=chosen.refused), chosen.status \
            if chosen.refused else 400
    flash(gettext("Your supplement has been sent to the office."), "success")
    return redirect(url_for("filing.dossier", public_id=public_id), 303)


def _render_supplement(d, form, refused=(), send_error=None):
    return render_template(
        "filing/supplement.html", dossier=d, form=form or filing.load_form(d),
        version=d.procedure_version.data, docs=filing.documents(d),
        request_event=filing.pending_supplement_request(d),
        refused=refused, refused_keys={r.key for r in refused}, send_error=send_error,
        max_mb=current_app.config["MAX_UPLOAD_BYTES"] // 1048576)


# /track and the communes list for the form's script are in views/tracking.py, on this
# blueprint (their endpoints stay filing.track and filing.communes_json).
from district_portal.views import tracking  # noqa: E402,F401
