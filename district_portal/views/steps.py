"""The filing steps, written once for the resident online and the clerk at the counter:
answers → documents (one upload per request) → check → submit (DESIGN.md §9).

A Flow says what differs between the two: how a draft is found, who may change its files and
submit it, the endpoints and templates of each step, whether "save and finish later" exists,
and where a submitted dossier leads. The blueprints keep their URLs and endpoint names and
call these functions from one-line views.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from district_portal import access, db
from district_portal.forms import ConfirmForm
from district_portal.forms.dossier import DossierForm
from district_portal.forms.filing import DocumentsForm, SubmitForm
from district_portal.models import Dossier, DossierStatus
from district_portal.services.dossiers import filing, uploads
from district_portal.services.dossiers.filing import FilingError
from district_portal.services.dossiers.workflow import WorkflowError


@dataclass(frozen=True)
class Flow:
    """One way through the filing steps."""

    find: Callable[[str], Dossier | None]  # public id → the draft (None: 404)
    endpoints: Mapping[str, str]  # step (and "download") → endpoint
    templates: Mapping[str, str]  # edit, documents, review → template
    layout: str  # the page layout the step templates extend
    save: Callable  # (session, dossier, form): keeps what was typed
    may_submit: Callable = access.can_edit_draft
    may_remove_file: Callable = access.can_edit_draft
    files_page: Callable[[Dossier], str] | None = None  # endpoint after removing a file
    later: str | None = None  # endpoint after "save and finish later"; None: no such button
    hidden_fields: tuple[str, ...] = ()  # e-form fields this flow does not ask
    submitted: Callable[[Dossier], object] | None = None  # the response after submitting

    def url(self, step: str, dossier: Dossier, **values) -> str:
        return url_for(self.endpoints[step], public_id=dossier.public_id, **values)


def load(flow: Flow, public_id: str, may=access.can_edit_draft) -> Dossier:
    """The flow's dossier if `may` allows the current user, else 404."""
    dossier = flow.find(public_id)
    if dossier is None or not may(current_user, dossier):
        abort(404)
    return dossier


def _render(flow: Flow, step: str, dossier: Dossier, **context):
    return render_template(flow.templates[step], flow=flow, layout=flow.layout,
                           dossier=dossier, **context)


# --- step 1: applicant and answers --------------------------------------------------------


def edit(flow: Flow, public_id: str):
    """GET: the e-form as saved. POST: keep what was typed, then refresh, save for later,
    show the errors (400) or go on to the documents."""
    dossier = load(flow, public_id)
    if request.method == "GET":
        return render_edit(flow, dossier, filing.load_form(dossier))
    form = DossierForm.from_formdata(filing.form_specs(dossier), request.form)
    flow.save(db.session(), dossier, form)
    if form.was_cut():  # an answer far longer than its field was kept cut: say so first
        form.validate()
        return render_edit(flow, dossier, form), 400
    if form.action == "refresh":
        return redirect(flow.url("edit", dossier) + "#form", 303)
    if form.action == "later" and flow.later:
        flash(gettext("Your draft is saved. Continue any time from “My dossiers”."), "success")
        return redirect(url_for(flow.later), 303)
    if not form.validate():
        return render_edit(flow, dossier, form), 400
    return redirect(flow.url("documents", dossier), 303)


def render_edit(flow: Flow, dossier: Dossier, form: DossierForm):
    return _render(flow, "edit", dossier, form=form, version=dossier.procedure_version.data)


# --- step 2: documents ----------------------------------------------------------------------


def documents(flow: Flow, public_id: str):
    """GET: the documents page. POST (any button of the page): keep every file chosen on it,
    remove the file asked for, then go where the button says — or show what was not kept."""
    dossier = load(flow, public_id)
    if request.method == "GET":
        return render_documents(flow, dossier)
    form = DocumentsForm()
    if not form.validate_on_submit():
        abort(400)
    chosen = uploads.add_chosen_files(db.session(), dossier, request.files, current_user)
    removed = filing.find_attachment(dossier, form.remove.data or "")
    if removed is not None:
        filing.remove_attachment(db.session(), dossier, removed)
        flash(gettext("File removed."), "success")
    if chosen.refused:
        return render_documents(flow, dossier, refused=chosen.refused, status=chosen.status)
    if chosen.added:
        flash(gettext("File uploaded."), "success")
    anchor = f"#doc-{chosen.added[0]}" if chosen.added and form.step == "documents" else ""
    return redirect(flow.url(form.step, dossier) + anchor, 303)


def render_documents(flow: Flow, dossier: Dossier, error=None, error_key=None, status=200,
                     refused=()):
    """The documents page, also with an upload's error (or the page's refused files) and as
    the 413 page (so it must not read the request body: that would raise
    RequestEntityTooLarge again)."""
    if error is not None:
        refused = [uploads.Refusal(error_key, "", error, status)]
    return _render(flow, "documents", dossier, docs=filing.documents(dossier),
                   refused=refused, refused_keys={r.key for r in refused},
                   supplement=dossier.status != DossierStatus.DRAFT,
                   max_mb=current_app.config["MAX_UPLOAD_BYTES"] // 1048576), status


def too_large_message(key: str | None) -> str:
    """What a 413 says: about the one file (`key`), or about the page's files together."""
    config = current_app.config
    if key is None:
        return gettext("The chosen files together are larger than %(mb)d MB, so none was "
                       "uploaded. Upload them one at a time.",
                       mb=config["MAX_DOSSIER_BYTES"] // 1048576)
    return gettext("The file is larger than %(mb)d MB. Take a smaller photo or scan and try "
                   "again.", mb=config["MAX_UPLOAD_BYTES"] // 1048576)


def whole_page_uploads(*endpoints: str):
    """A url_value_preprocessor for a blueprint: a POST of one of `endpoints` carries every
    file chosen on its page, so it may be as large as a dossier's files (each file is still
    held to its own limit). It runs before the CSRF check, the first reader of the body;
    anonymous requests keep the ordinary limit."""
    def preprocess(endpoint, values):
        if endpoint in endpoints and request.method == "POST" and \
                current_user.is_authenticated:
            request.max_content_length = (current_app.config["MAX_DOSSIER_BYTES"] +
                                          256 * 1024)
    return preprocess


def upload(flow: Flow, public_id: str, key: str):
    """One file for document `key`; a refused file shows the page with why."""
    dossier = load(flow, public_id)
    try:
        filing.add_attachment(db.session(), dossier, key, request.files.get(key),
                              current_user)
    except FilingError as exc:
        return render_documents(flow, dossier, exc.message, key, exc.status)
    flash(gettext("File uploaded."), "success")
    return redirect(flow.url("documents", dossier) + f"#doc-{key}", 303)


def delete_file(flow: Flow, public_id: str, file_id: str):
    dossier = load(flow, public_id, flow.may_remove_file)
    attachment = filing.find_attachment(dossier, file_id)
    if attachment is None or not ConfirmForm().validate_on_submit():
        abort(404)
    try:
        filing.remove_attachment(db.session(), dossier, attachment)
    except FilingError as exc:  # e.g. a file the office already received: say why
        return render_template("error.html", code=exc.status, message=exc.message,
                               title=gettext("The file cannot be removed")), exc.status
    flash(gettext("File removed."), "success")
    back = flow.files_page(dossier) if flow.files_page else flow.endpoints["documents"]
    return redirect(url_for(back, public_id=public_id), 303)


# --- step 3: check and submit ---------------------------------------------------------------


def review(flow: Flow, public_id: str):
    return render_review(flow, load(flow, public_id))


def render_review(flow: Flow, dossier: Dossier, status: int = 200, **extra):
    """The check page: every answer, document and fee line, and the submit button once all
    is in order (the fee is worked out from the answers, as it will be at submission)."""
    form = filing.load_form(dossier)
    valid = form.validate()
    bill, fee_error = filing.preview_fee(dossier, form)
    return _render(flow, "review", dossier, form=form, valid=valid and fee_error is None,
                   bill=bill, fee_error=fee_error, rows=form.display_rows(),
                   docs=filing.documents(dossier), missing=filing.missing_documents(dossier),
                   submit_form=SubmitForm(nonce=secrets.token_urlsafe(16)), **extra), status


def submit(flow: Flow, public_id: str):
    """Submit once (the nonce makes a repeated POST harmless); a refusal goes back to the
    check page with the workflow's message."""
    dossier = load(flow, public_id, flow.may_submit)
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        filing.submit(db.session(), dossier, current_user, form.nonce.data)
    except WorkflowError as exc:
        if dossier.status != DossierStatus.DRAFT:
            raise
        flash(str(exc.message), "error")
        return redirect(flow.url("review", dossier), 303)
    return flow.submitted(dossier)
