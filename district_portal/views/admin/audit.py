"""Admin console section: the audit log (issue 13). Filters, pages of entries newest first with
a before/after comparison, and the same filters as CSV. A province admin reads the entries of
the province's offices, a commune admin their office's. Read only: no route changes or
deletes an entry (the log is append-only, see models/audit.py)."""

from __future__ import annotations

from flask import Response, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from district_portal import access, db
from district_portal.forms.admin_records import AuditFilterForm
from district_portal.models.types import utcnow
from district_portal.services.admin import audit
from district_portal.text import to_local
from district_portal.views.admin import bp, section

section("admin.audit_log", _l("Audit log"),
        _l("Who changed what and when in the administration, with CSV download."))

# The log stores English dotted words; the page reads them in the user's language.
ACTIONS = {
    "calendar.add": _l("Day added to the calendar"),
    "calendar.remove": _l("Day removed from the calendar"),
    "catalogue.import": _l("Catalogue imported"),
    "catalogue.export": _l("Catalogue exported"),
    "procedure.create": _l("Procedure created"),
    "procedure.edit": _l("Procedure edited"),
    "procedure.publish": _l("Procedure published"),
    "procedure.unpublish": _l("Procedure unpublished"),
    "procedure.level": _l("Online level changed"),
    "office.create": _l("Office created"),
    "office.edit": _l("Office edited"),
    "office.deactivate": _l("Office deactivated"),
    "user.create": _l("Staff account created"),
    "user.edit": _l("Account edited"),
    "user.deactivate": _l("Account deactivated"),
    "resident.view": _l("Resident's data viewed"),
    "procedure.draft_edit": _l("Procedure draft edited"),
    "procedure.draft_discard": _l("Procedure draft discarded"),
    "office.code": _l("Office given its real code"),
    "office.reactivate": _l("Office reactivated"),
    "office.import": _l("Communes imported"),
    "office.certificate": _l("Signing certificate changed"),
    "office.certificate_remove": _l("Signing certificate removed"),
    "user.reactivate": _l("Account reactivated"),
    "user.reset_password": _l("Password reset"),
    "user.reset_two_factor": _l("Two-step login reset"),
    "user.end_sessions": _l("Logged out everywhere"),
    "resident.deactivate": _l("Resident's account deactivated"),
    "resident.reactivate": _l("Resident's account reactivated"),
}
KINDS = {
    "calendar": _l("Calendar"), "catalogue": _l("Catalogue"), "procedure": _l("Procedure"),
    "office": _l("Office"), "user": _l("Account"), "resident": _l("Resident"),
    "api_key": _l("API key"),
}

# The keys most entries compare (others are shown as they are stored).
ITEMS = {
    "day": _l("Date"), "kind": _l("Kind of day"), "note": _l("Note"), "name": _l("Name"),
    "phone": _l("Phone"), "address": _l("Address"), "offices": _l("Offices"),
    "procedures": _l("Procedures"),
    "offices_created": _l("Offices created"), "offices_updated": _l("Offices updated"),
    "procedures_created": _l("Procedures created"),
    "procedures_new_version": _l("Procedures with a new version"),
    "procedures_unchanged": _l("Procedures unchanged"),
    "level_changes": _l("Level changes"), "messages": _l("Warnings"),
}


def _scope() -> frozenset[int]:
    return frozenset(access.administered_office_ids(current_user))


def _form() -> AuditFilterForm:
    actions, kinds = audit.choices(db.session(), _scope())
    form = AuditFilterForm(request.args)
    form.set_choices([(a, ACTIONS.get(a, a)) for a in actions],
                     [(k, KINDS.get(k, k)) for k in kinds])
    return form


def _filter(form: AuditFilterForm) -> audit.AuditFilter:
    return audit.AuditFilter(
        office_ids=_scope(), action=form.action.data or "", target_kind=form.kind.data or "",
        actor=form.actor.data or "", target=form.target.data or "",
        since=form.since.data, until=form.until.data)


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) < 100_000 else 1


@bp.get("/audit/")
def audit_log():
    form = _form()
    if not form.validate():
        return render_template("admin/audit/index.html", form=form, entries=[], more=False,
                               page=1, args={}, actions=ACTIONS, kinds=KINDS, items=ITEMS), 400
    page = _page_number()
    entries, more = audit.search(db.session(), _filter(form), page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    rows = [(e, audit.comparison(e.before, e.after)) for e in entries]
    return render_template("admin/audit/index.html", form=form, entries=rows, more=more,
                           page=page, args=args, actions=ACTIONS, kinds=KINDS, items=ITEMS,
                           csv_url=url_for("admin.audit_csv", **args))


@bp.get("/audit/audit.csv")
def audit_csv():
    form = _form()
    if not form.validate():
        return Response(gettext("The filters are not valid."), 400, mimetype="text/plain")
    body = audit.to_csv(db.session(), _filter(form))
    name = f"nhat-ky-quan-tri-{to_local(utcnow()):%Y-%m-%d}.csv"
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
