"""The office side: inbox, dossier page and its actions, counter intake, worklist, calendar.

Every URL here answers 404 to anyone who is not staff (anonymous users are sent to log in),
and a dossier's URLs answer 404 to staff of offices that neither receive nor handle it.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from district_portal import access, db
from district_portal.auth import login_url
from district_portal.forms.staff import (
    ACTION_BUTTONS,
    ACTION_FORMS,
    UI_ACTIONS,
    CounterStartForm,
    InboxFilterForm,
    action_form,
)
from district_portal.models.types import utcnow
from district_portal.services.catalog import queries
from district_portal.services.documents import issuing
from district_portal.services.dossiers import filing, inbox, queues
from district_portal.services.dossiers.filing import FilingError
from district_portal.services.dossiers.workflow import (
    STATUS_LABELS,
    TRANSITIONS,
    Action,
    available_actions,
    perform,
)
from district_portal.services.payments import attempts as payments
from district_portal.views import attachment_response, steps

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.url_value_preprocessor(steps.whole_page_uploads("staff.counter_documents"))


# --- who may come in -----------------------------------------------------------------------


@bp.before_request
def staff_only():
    if not current_user.is_authenticated:
        return redirect(login_url(request.full_path.rstrip("?")))
    if not access.can_work_inbox(current_user):
        abort(404)
    return None


def _office_ids() -> set[int]:
    return access.office_ids_visible_to(current_user)


def _dossier(code: str):
    d = filing.get_by_code(db.session(), code)
    if d is None or not access.can_open_staff_dossier(current_user, d):
        abort(404)
    return d


# --- inbox and worklist --------------------------------------------------------------------


@bp.get("/")
def index():
    return redirect(url_for("staff.inbox"))


@bp.get("/inbox", endpoint="inbox")
def inbox_view():
    sess = db.session()
    ids = _office_ids()
    form = InboxFilterForm(request.args)
    form.set_procedures(inbox.procedures_for(sess, ids))
    valid = form.validate()
    tabs = [inbox.TABS_BY_KEY[k] for k in queues.visible_tabs(current_user, inbox.TABS_BY_KEY)]
    query = inbox.InboxQuery(
        tab=form.tab.data if form.tab.data in {t.key for t in tabs}
        else queues.default_tab(current_user),
        q=(form.q.data or "") if valid else "",
        procedure=(form.procedure.data or "") if valid else "",
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
        cursor=form.after.data or "",
    )
    page = inbox.inbox_page(sess, ids, current_user.office, query, user=current_user)
    counts = inbox.tab_counts(sess, ids, current_user.office, user=current_user)
    filters = {k: v for k, v in (
        ("q", query.q), ("procedure", query.procedure),
        ("date_from", query.date_from.isoformat() if query.date_from else ""),
        ("date_to", query.date_to.isoformat() if query.date_to else "")) if v}
    return render_template("staff/inbox.html", form=form, query=query, page=page,
                           counts=counts, tabs=tabs, filters=filters,
                           labels=STATUS_LABELS, now=utcnow())


@bp.get("/worklist")
def worklist():
    sections = inbox.worklist(db.session(), _office_ids(), current_user.office,
                              user=current_user)
    return render_template("staff/worklist.html", sections=sections, labels=STATUS_LABELS,
                           office=current_user.office, now=utcnow())


# --- the dossier page and its actions ----------------------------------------------------


@bp.get("/dossiers/<code>")
def dossier(code: str):
    return _render_dossier(_dossier(code))


def _action_forms(d, failed=None):
    sess = db.session()
    forms = []
    for action in available_actions(current_user, d):
        if action not in UI_ACTIONS:
            continue
        if failed is not None and failed.action == action:
            forms.append((action, failed, ACTION_BUTTONS[action]))
            continue
        officers = inbox.officers_of(sess, d.handling_office_id) \
            if action == Action.ASSIGN else ()
        offices = inbox.transfer_targets(sess, d) if action == Action.TRANSFER else ()
        forms.append((action, action_form(action, d, officers, offices),
                      ACTION_BUTTONS[action]))
    return forms


SLIPS = (
    ("receipt", None, _l("Receipt and appointment slip (form 01)")),
    ("supplement", "request_supplement", _l("Supplement request slip (form 02)")),
    ("refusal", "refuse", _l("Refusal slip (form 03)")),
    ("apology", "extend", _l("Apology and new date slip (form 04)")),
    ("control", None, _l("Control slip (form 05)")),
)


# Before acceptance the "receipt" is the filing confirmation (slips.online_receipt), not form 01.
CONFIRMATIONS = {"online": _l("Online filing confirmation (not form 01: not yet received)"),
                 "counter": _l("Filing confirmation (not form 01: not yet received)")}


def _slip_links(d):
    """The slips that apply to the dossier so far, each named as what it is now."""
    actions = {e.action for e in d.events}
    return [(kind, CONFIRMATIONS.get(d.channel, label) if kind == "receipt" and
             d.accepted_at is None else label)
            for kind, action, label in SLIPS if action is None or action in actions]


# The applicant section's labels speak to the resident ("you"); staff read about "người nộp".
STAFF_LABELS = {
    "applicant_type": _l("The applicant files as"),
    "applicant_phone": _l("Applicant's mobile phone number"),
    "applicant_email": _l("Applicant's email"),
    "applicant_commune": _l("Commune or ward where the applicant lives"),
    "applicant_office": _l("Office that receives the dossier"),
}


def _render_dossier(d, failed=None, status=200):
    rows = filing.load_form(d).display_rows()
    return render_template(
        "staff/dossier.html", dossier=d, labels=STATUS_LABELS,
        slip_links=_slip_links(d),
        can_prepare=access.can_prepare_result(current_user, d) and issuing.is_preparable(d),
        applicant_rows=[(STAFF_LABELS.get(spec.key, spec.label), text) for spec, text in rows
                        if spec.key.startswith("applicant_")],
        answer_rows=[r for r in rows if not r[0].key.startswith("applicant_")],
        docs=filing.documents(d), events=[(e, TRANSITIONS[Action(e.action)].label)
                                            for e in d.events],
        payments=payments.payments_of(db.session(), d),
        actions=_action_forms(d, failed), rated_by=_rated_by(d), now=utcnow()), status


def _rated_by(d) -> str:
    """Who gave the rating: the applicant online, or the clerk who recorded it."""
    event = next((e for e in reversed(d.events) if e.action == "rate"), None)
    if event is None:
        return ""
    if (event.data or {}).get("by") == "clerk" and event.actor is not None:
        return gettext("recorded at the counter by %(name)s", name=event.actor.full_name)
    return gettext("given by the applicant online")


@bp.get("/dossiers/<code>/files/<file_id>")
def download(code: str, file_id: str):
    d = _dossier(code)
    attachment = filing.find_attachment(d, file_id)
    if attachment is None:
        abort(404)
    return attachment_response(attachment)


@bp.post("/dossiers/<code>/<action>")
def act(code: str, action: str):
    try:
        action = Action(action)
    except ValueError:
        abort(404)
    d = _dossier(code)
    sess = db.session()
    form_action = action if action in ACTION_FORMS else Action.ACCEPT
    officers = inbox.officers_of(sess, d.handling_office_id) if action == Action.ASSIGN else ()
    offices = inbox.transfer_targets(sess, d) if action == Action.TRANSFER else ()
    form = action_form(form_action, d, officers, offices, formdata=request.form)
    form.action = action
    valid = form.validate_on_submit()
    if not valid and action in available_actions(current_user, d) and \
            form.expected_version() == d.version:
        return _render_dossier(d, failed=form, status=400)
    # Otherwise the workflow says why not: stale version, wrong status, not this office's.
    if action == Action.PAY and valid:
        payments.record_desk_payment(sess, d, current_user, form.amount.data,
                                     expected_version=form.expected_version())
    else:
        perform(sess, d, action, current_user, expected_version=form.expected_version(),
                **(form.inputs() if valid else {}))
    flash(gettext("Done: %(action)s.", action=TRANSITIONS[action].label), "success")
    if not access.can_open_staff_dossier(current_user, d):
        return redirect(url_for("staff.inbox"), 303)
    return redirect(url_for("staff.dossier", code=d.code), 303)


# --- counter intake ------------------------------------------------------------------------


@bp.route("/counter", methods=["GET", "POST"])
def counter():
    if not access.can_take_counter_dossiers(current_user):
        abort(404)
    sess = db.session()
    form = CounterStartForm()
    form.set_procedures(inbox.counter_procedures(sess, current_user.office))
    if form.validate_on_submit():
        procedure = queries.published_procedure(sess, form.procedure.data)
        try:
            draft = filing.start_counter_draft(sess, current_user, procedure)
        except FilingError as exc:
            flash(str(exc.message), "error")
            return redirect(url_for("staff.counter"), 303)
        return redirect(url_for("staff.counter_edit", public_id=draft.public_id), 303)
    return render_template("staff/counter.html", form=form), 400 if form.errors else 200


def _counter_filed(dossier):
    flash(gettext("Dossier %(code)s has been filed.", code=dossier.code), "success")
    return redirect(url_for("staff.dossier", code=dossier.code), 303)


COUNTER = steps.Flow(
    find=lambda public_id: inbox.counter_draft(db.session(), public_id),
    endpoints={step: f"staff.counter_{step}" for step in (
        "edit", "documents", "upload", "delete_file", "review", "submit")},
    templates={step: f"staff/counter_{step}.html" for step in ("edit", "documents", "review")},
    layout="staff/_base.html", save=filing.save_counter_answers, submitted=_counter_filed,
    # A clerk of the desk's office submits; a double click finds the dossier submitted and is
    # sent to it (the nonce makes the second POST harmless), not to "page not found".
    may_submit=access.is_counter_clerk_of,
    hidden_fields=("applicant_office",))  # the desk's own office receives the dossier


@bp.route("/counter/<public_id>/edit", methods=["GET", "POST"])
def counter_edit(public_id: str):
    return steps.edit(COUNTER, public_id)


@bp.route("/counter/<public_id>/documents", methods=["GET", "POST"])
def counter_documents(public_id: str):
    return steps.documents(COUNTER, public_id)


@bp.post("/counter/<public_id>/documents/<key>")
def counter_upload(public_id: str, key: str):
    return steps.upload(COUNTER, public_id, key)


@bp.post("/counter/<public_id>/files/<file_id>/delete")
def counter_delete_file(public_id: str, file_id: str):
    return steps.delete_file(COUNTER, public_id, file_id)


@bp.get("/counter/<public_id>/review")
def counter_review(public_id: str):
    return steps.review(COUNTER, public_id)


@bp.post("/counter/<public_id>/submit")
def counter_submit(public_id: str):
    return steps.submit(COUNTER, public_id)


# --- calendar (admin) ----------------------------------------------------------------------


@bp.get("/calendar")
def calendar():
    """The old calendar page: the admin console's year view replaced it (issue 13)."""
    if not access.can_manage_calendar(current_user):
        abort(404)
    return redirect(url_for("admin.calendar"), 301)
