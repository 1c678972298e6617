"""The working-time calendar of an office, built from its hours and admin-entered days."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from district_portal.models import CalendarDay, Office
from district_portal.services.calendar import DEFAULT_HOURS, WorkCalendar, parse_hours


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
