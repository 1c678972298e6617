"""Template filters and globals: Vietnamese formatting of money, dates, levels and time limits."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale, gettext, lazy_gettext, ngettext

from district_portal.eform import parse_date, provinces
from district_portal.text import format_date, format_datetime, format_money

LEVEL_NAMES = {
    "full": lazy_gettext("Fully online"),
    "partial": lazy_gettext("Partly online"),
    "none": lazy_gettext("At the office"),
}
OLD_LEVEL_NAMES = {
    "full": lazy_gettext("level 4"),
    "partial": lazy_gettext("level 3"),
    "none": lazy_gettext("levels 1–2"),
}
OFFICE_KIND_NAMES = {
    "province": lazy_gettext("Provincial People's Committee"),
    "centre": lazy_gettext("Public administration service centre"),
    "department": lazy_gettext("Department"),
    "commune": lazy_gettext("Commune People's Committee"),
}


def fee_text(amount: int | None) -> str:
    """'15.000 đồng', or 'Miễn phí' when there is nothing to pay."""
    if not amount:
        return gettext("Free of charge")
    return format_money(amount)


def time_limit_text(limit: dict) -> str:
    """{'amount': 3, 'unit': 'working_days'} → '3 ngày làm việc'; same_day → 'Trong ngày làm
    việc'. The one wording of a time limit: pages, and slips (under force_locale("vi"))."""
    amount, unit = limit.get("amount", 0), limit.get("unit")
    if unit == "same_day":
        return gettext("Within the working day")
    if unit == "working_hours":
        return ngettext("%(num)d working hour", "%(num)d working hours", amount)
    return ngettext("%(num)d working day", "%(num)d working days", amount)


def level_text(level: str) -> str:
    return str(LEVEL_NAMES.get(level, level))


def old_level_text(level: str) -> str:
    return str(OLD_LEVEL_NAMES.get(level, level))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=format_money,
        fee=fee_text,
        datetime=format_datetime,
        date=format_date,
        time_limit=time_limit_text,
        level=level_text,
        old_level=old_level_text,
        office_kind=lambda k: str(OFFICE_KIND_NAMES.get(str(k), k)),
        # lazy labels translated once, for a table that repeats them on every row
        translated=lambda labels: {key: str(label) for key, label in labels.items()},
    )
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale()),
        field_kind=field_kind,
        answer_text=answer_text,
        field_label=field_label,
        provinces=provinces,
        date_input=date_input,
        date_input_type=date_input_type,
        is_overdue=is_overdue,
        has_endpoint=lambda name: name in app.view_functions,
        sent_state=lambda state: str(SENT_STATES.get(state, state)),
        fee_rules=_fee_rules,
        fee_lines=_fee_lines,
        condition_text=condition_text,
        step_text=_step_text,
        rating_label=rating_label,
        payment_state_label=lambda state: str(PAYMENT_STATES.get(str(state), state)),
        receipt_label=_receipt_label,
        due_text=_due_text,
        intake_due_text=_intake_due_text,
        work_starts_text=_work_starts_text,
    )
    app.jinja_env.filters["ref"] = _ref
    app.jinja_env.filters["phone"] = _phone
    app.jinja_env.globals["paper_copies"] = paper_copies
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


SENT_STATES = {
    "pending": lazy_gettext("waiting to be sent"),
    "sent": lazy_gettext("sent"),
    "failed": lazy_gettext("could not be sent"),
}

PAYMENT_STATES = {
    "pending": lazy_gettext("waiting for confirmation"),
    "paid": lazy_gettext("paid"),
    "failed": lazy_gettext("not completed"),
    "expired": lazy_gettext("expired"),
}


def _calendars() -> dict:
    """Office calendars already built for this request (a page may show fifty deadlines)."""
    from flask import g

    if "calendars" not in g:
        g.calendars = {}
    return g.calendars


def _due_text(dossier) -> str:
    """The result's due time as it is shown everywhere ('17:00 ngày 30/11/2026')."""
    from district_portal import db
    from district_portal.services.calendar.deadlines import due_text

    return due_text(db.session(), dossier, _calendars()) if dossier.due_at else ""


def _intake_due_text(dossier) -> str:
    from district_portal import db
    from district_portal.services.calendar.deadlines import intake_due_text

    return intake_due_text(db.session(), dossier, _calendars()) if dossier.intake_due_at else ""


def _work_starts_text(dossier) -> str:
    """When the office starts on a dossier filed out of hours; '' if filed while open."""
    from district_portal import db
    from district_portal.services.calendar.deadlines import format_deadline, work_starts_at

    return format_deadline(work_starts_at(db.session(), dossier, _calendars()))


def _receipt_label(payment) -> str:
    from district_portal.services.payments.attempts import receipt_label

    return receipt_label(payment)


FIELD_KINDS = {
    "text": lazy_gettext("text"),
    "textarea": lazy_gettext("longer text"),
    "number": lazy_gettext("a number"),
    "date": lazy_gettext("a date (dd/mm/yyyy)"),
    "select": lazy_gettext("choose one"),
    "radio": lazy_gettext("choose one"),
    "checkbox": lazy_gettext("tick if it applies"),
    "email": lazy_gettext("an email address"),
    "phone": lazy_gettext("a phone number"),
    "id_number": lazy_gettext("a 12-digit personal ID number"),
    "tax_code": lazy_gettext("a tax code (10 digits, or 13 with the branch)"),
    "commune": lazy_gettext("a province and a commune or ward"),
}


def field_kind(kind: str) -> str:
    return str(FIELD_KINDS.get(kind, kind))


def answer_text(fields: list[dict], cond: dict) -> str:
    """How a visible_if condition reads: the option's label, or yes/no for a checkbox."""
    for f in fields:
        if f["key"] == cond["field"]:
            for o in f.get("options", []):
                if o["value"] == cond["equals"]:
                    return o["label"]
            if f["type"] == "checkbox":
                return gettext("ticked") if cond["equals"] else gettext("not ticked")
    return str(cond["equals"])


def condition_text(fields: list[dict], cond: dict) -> str:
    """A fee exemption as it reads: its own label, else “field” is value(s)."""
    if cond.get("label"):
        return cond["label"]
    values = cond["in"] if "in" in cond else [cond.get("equals")]
    shown = " / ".join(answer_text(fields, {"field": cond["field"], "equals": v})
                       for v in values)
    return gettext("“%(label)s” is %(value)s", label=field_label(fields, cond["field"]),
                   value=shown)


def _fee_rules(version_data: dict) -> dict:
    from district_portal.services.catalog.fees import fee_rules

    return fee_rules(version_data)


def _fee_lines(stored: list | None) -> list:
    """A dossier's stored fee lines as FeeLine objects (none for dossiers filed before)."""
    from district_portal.services.catalog.fees import FeeLine

    return [FeeLine.from_json(line) for line in stored or []]


def rating_label(rating: int | None) -> str:
    from district_portal.forms.filing import RATING_LEVELS

    return str(dict(RATING_LEVELS).get(rating, "")) if rating else ""


def _step_text(step) -> str:
    from district_portal.services.catalog.readiness import step_text

    return step_text(step)


def field_label(fields: list[dict], key: str) -> str:
    return next((f["label"] for f in fields if f["key"] == key), key)


def _ref(value: str | None) -> str:
    from district_portal.codes import format_ref

    return format_ref(value) if value else ""


def _phone(value: str | None) -> str:
    from district_portal.phones import display_phone

    return display_phone(value) if value else ""


def date_input(raw: str) -> str:
    """A typed date shown in a date input, which only takes yyyy-mm-dd."""
    parsed = parse_date(raw) if raw else None
    return parsed.isoformat() if parsed else raw


def date_input_type(raw: str) -> str:
    """'date', unless what was typed is not a real date: a date input would show it empty,
    so a text input keeps it in front of the resident next to the error message."""
    return "text" if raw and parse_date(raw) is None else "date"


def is_overdue(dossier) -> bool:
    """Open and past due: a mark, never a status (DESIGN.md §4)."""
    from district_portal.models.types import utcnow
    from district_portal.services.dossiers.workflow import OPEN_STATUSES, PAUSED_STATUSES

    if dossier.status not in OPEN_STATUSES or dossier.status in PAUSED_STATUSES:
        return False
    due = dossier.due_at if dossier.accepted_at else dossier.intake_due_at
    return due is not None and utcnow() > due


def paper_copies(document: dict) -> str:
    """What to bring of a document when filing at the office: "1 original, 2 copies" (in the
    catalogue's numbers); a dash when it names none."""
    parts = []
    if document.get("originals"):
        parts.append(gettext("%(n)d × original", n=int(document["originals"])))
    if document.get("copies"):
        parts.append(gettext("%(n)d × copy", n=int(document["copies"])))
    return ", ".join(parts) or "–"
