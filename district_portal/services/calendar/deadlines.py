"""How a deadline reads: the one rule that pages, slips and SMS share.

A deadline is stored as the instant the working time runs out (DESIGN.md §4). Shown, it is
moved back over any time when nobody works (WorkCalendar.shown_deadline): a dossier accepted
at 20:00 Monday with one working day is due at 07:00 Wednesday, and reads "17:00 ngày" of
Tuesday. The stored instant is not changed: overdue is still `now > due_at`, and the two
agree because no working time lies between them.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from sqlalchemy.orm import Session

from district_portal.models import Dossier, Office
from district_portal.services.calendar.days import calendar_for
from district_portal.services.calendar.worktime import WorkCalendar
from district_portal.text import to_local


def format_deadline(at: datetime | None) -> str:
    """'17:00 ngày 30/11/2026' (local time), the way a deadline is written (slips and SMS
    call it under the Vietnamese locale)."""
    if at is None:
        return ""
    local = to_local(at)
    return gettext("%(time)s on %(date)s", time=local.strftime("%H:%M"),
                   date=local.strftime("%d/%m/%Y"))


def _calendar(session: Session, office: Office | None,
              calendars: dict | None) -> WorkCalendar:
    if calendars is None:
        return calendar_for(session, office)
    key = office.id if office is not None else None
    if key not in calendars:
        calendars[key] = calendar_for(session, office)
    return calendars[key]


def shown_deadline(session: Session, office: Office | None, due: datetime | None,
                   calendars: dict | None = None) -> datetime | None:
    """The instant `due` is shown as on `office`'s calendar (None stays None). `calendars`
    is an optional cache keyed by office id, for pages that show many deadlines."""
    if due is None:
        return None
    return _calendar(session, office, calendars).shown_deadline(due)


def _processing_office(dossier: Dossier) -> Office | None:
    return dossier.handling_office or dossier.receiving_office


def due_text(session: Session, dossier: Dossier, calendars: dict | None = None) -> str:
    """The result's due time (Hạn giải quyết), on the handling office's calendar."""
    return format_deadline(shown_deadline(session, _processing_office(dossier),
                                          dossier.due_at, calendars))


def intake_due_text(session: Session, dossier: Dossier, calendars: dict | None = None) -> str:
    """The time by which the receiving office accepts or refuses (Hạn tiếp nhận)."""
    return format_deadline(shown_deadline(session, dossier.receiving_office,
                                          dossier.intake_due_at, calendars))


def extended_due_text(session: Session, dossier: Dossier, due: datetime | None) -> str:
    """Another deadline of the dossier's processing (an extension's old or new due time)."""
    return format_deadline(shown_deadline(session, _processing_office(dossier), due))


def work_starts_at(session: Session, dossier: Dossier,
                   calendars: dict | None = None) -> datetime | None:
    """When the receiving office starts on a dossier filed outside its working hours (at
    night, on a weekend or a holiday); None if it was filed while the office was open."""
    if dossier.submitted_at is None:
        return None
    return _calendar(session, dossier.receiving_office, calendars).work_starts(
        dossier.submitted_at)
