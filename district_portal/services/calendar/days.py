"""An office's working days: the calendar built from its hours and the admin-entered days
(extra days off and make-up working days, for every office or for one). Verbs that flush,
never commit; used by the workflow, the CLI and the admin page."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from district_portal.collation import sorted_vi
from district_portal.models import CalendarDay, Office
from district_portal.services.calendar.worktime import DEFAULT_HOURS, WorkCalendar, parse_hours
from district_portal.services.errors import ServiceError
from district_portal.text import clean

KINDS = ("off", "work")


def calendar_for(session: Session, office: Office | None) -> WorkCalendar:
    """The office's calendar: its hours (default 07:00–11:30, 13:30–17:00), Vietnamese public
    holidays, and the extra days off / make-up working days for it or for every office."""
    hours = parse_hours(office.hours) if office is not None and office.hours else DEFAULT_HOURS
    stmt = select(CalendarDay)
    if office is not None:
        stmt = stmt.where(or_(CalendarDay.office_id.is_(None), CalendarDay.office_id == office.id))
    else:
        stmt = stmt.where(CalendarDay.office_id.is_(None))
    days = session.scalars(stmt).all()
    # An office's own entry wins over a province-wide one for the same day.
    by_day: dict = {}
    for d in sorted(days, key=lambda d: d.office_id is not None):
        by_day[d.day] = d.kind
    return WorkCalendar(
        hours=hours,
        days_off={day for day, kind in by_day.items() if kind == "off"},
        make_up_days={day for day, kind in by_day.items() if kind == "work"},
    )



class CalendarDayError(ServiceError):
    """A calendar day that cannot be saved or removed (message kept lazy: the CLI has no
    request to pick a language from)."""


def _office(session: Session, agency_code: str | None) -> Office | None:
    if not agency_code:
        return None
    office = session.scalar(select(Office).where(Office.agency_code == agency_code))
    if office is None:
        raise CalendarDayError(_l("No office has the agency code %(code)s.", code=agency_code))
    return office


def _same_entry(day: date, office_id: int | None):
    return (CalendarDay.day == day,
            CalendarDay.office_id.is_(None) if office_id is None else
            CalendarDay.office_id == office_id)


def add_day(session: Session, day: date, kind: str, office_code: str | None = None,
            note: str = "") -> CalendarDay:
    """Add (or change) the day for one office or, without an office, for every office."""
    if kind not in KINDS:
        raise CalendarDayError(_l("The kind of day must be “off” or “work”."))
    office = _office(session, office_code)
    office_id = office.id if office else None
    row = session.scalar(select(CalendarDay).where(*_same_entry(day, office_id)))
    if row is None:
        try:
            # A savepoint: an admin adding the same day at the same moment wins the insert,
            # and this request changes that row instead of failing on the unique index.
            with session.begin_nested():
                row = CalendarDay(day=day, office_id=office_id, kind=kind)
                session.add(row)
        except IntegrityError:
            row = session.scalar(select(CalendarDay).where(*_same_entry(day, office_id)))
    row.kind = kind
    row.note = clean(note)[:300]
    session.flush()
    return row


def remove_day(session: Session, day: date, office_code: str | None = None) -> bool:
    """Remove the entry for that day and office (or the all-offices entry); False if none."""
    office = _office(session, office_code)
    row = session.scalar(select(CalendarDay).where(
        *_same_entry(day, office.id if office else None)))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def list_days(session: Session, since: date | None = None) -> list[tuple[CalendarDay, Office]]:
    """Every entry (from `since` if given), by date, each with its office (None: all)."""
    stmt = select(CalendarDay).order_by(CalendarDay.day, CalendarDay.office_id)
    if since is not None:
        stmt = stmt.where(CalendarDay.day >= since)
    rows = list(session.scalars(stmt))
    ids = {r.office_id for r in rows if r.office_id}
    offices = {o.id: o for o in session.scalars(
        select(Office).where(Office.id.in_(ids)).options(selectinload(Office.parent)))} \
        if ids else {}
    return [(r, offices.get(r.office_id)) for r in rows]


def offices(session: Session) -> list[Office]:
    """Active offices in Vietnamese alphabetical order (the admin page's choices)."""
    return sorted_vi(session.scalars(select(Office).where(Office.active.is_(True))),
                     key=lambda o: o.name)
