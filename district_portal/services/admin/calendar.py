"""The admin console's calendar (issue 13): a year view of one office's working days (or the
province-wide ones), and adding or removing an extra day off or make-up working day, audited.

The days themselves are services/calendar/days.py's; this module adds the admin's scope, the
refusals that make sense to a person (a day off on a day already off, ...) and the audit log."""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass, field
from datetime import date

import holidays
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal import access
from district_portal.models import CalendarDay, Office, User
from district_portal.models.types import utcnow
from district_portal.services.admin import audit
from district_portal.services.calendar import days
from district_portal.services.errors import ServiceError
from district_portal.text import to_local

YEARS_BACK = 2  # the range of years an admin may view and change, around this year
YEARS_AHEAD = 3


class CalendarAdminError(ServiceError):
    """A refused day: `field` is the form field the message belongs beside."""

    def __init__(self, message, field: str = "day", status: int | None = None):
        super().__init__(message, status)
        self.field = field


def year_range(today: date | None = None) -> range:
    this = (today or to_local(utcnow()).date()).year
    return range(this - YEARS_BACK, this + YEARS_AHEAD + 1)


@dataclass
class Day:
    day: date
    in_month: bool
    weekend: bool = False
    holiday: str = ""  # the public holiday's Vietnamese name
    kind: str = ""  # "off" / "work": an admin-entered day for this scope
    note: str = ""
    province_wide: bool = False  # an office's view showing a province-wide entry
    working: bool = True

    @property
    def css(self) -> str:
        if not self.in_month:
            return "pad"
        names = [self.kind and f"entered-{self.kind}", self.holiday and "holiday",
                 self.weekend and "weekend", not self.working and "closed"]
        return " ".join(n for n in names if n)


@dataclass
class YearView:
    year: int
    office: Office | None
    months: list[list[list[Day]]] = field(default_factory=list)  # 12 × weeks × 7 days
    entries: list[CalendarDay] = field(default_factory=list)
    holidays: list[tuple[date, str]] = field(default_factory=list)
    working_days: int = 0


def _entries(session: Session, office: Office | None, year: int) -> list[CalendarDay]:
    """This scope's entries of the year: the office's own and the province-wide ones."""
    ids = [None] if office is None else [None, office.id]
    stmt = select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                     CalendarDay.day <= date(year, 12, 31))
    rows = session.scalars(stmt.order_by(CalendarDay.day, CalendarDay.office_id)).all()
    return [r for r in rows if r.office_id in ids]


def year_view(session: Session, office: Office | None, year: int) -> YearView:
    """Twelve month grids (weeks from Monday) with weekends, public holidays and the entries
    that apply to `office` (None: the province-wide days)."""
    work = days.calendar_for(session, office)
    names = dict(holidays.VN(years=year, language="vi"))
    entries = _entries(session, office, year)
    by_day: dict[date, CalendarDay] = {}
    for row in sorted(entries, key=lambda r: r.office_id is not None):
        by_day[row.day] = row  # the office's own entry wins, as in calendar_for
    view = YearView(year=year, office=office, entries=entries, holidays=sorted(names.items()))
    grid = stdlib_calendar.Calendar(firstweekday=0)
    for month in range(1, 13):
        weeks = []
        for week in grid.monthdatescalendar(year, month):
            weeks.append([_day(d, d.month == month, names, by_day, work) for d in week])
        view.months.append(weeks)
        view.working_days += sum(1 for w in weeks for d in w if d.in_month and d.working)
    return view


def _day(d: date, in_month: bool, names: dict, by_day: dict, work) -> Day:
    if not in_month:
        return Day(day=d, in_month=False)
    row = by_day.get(d)
    return Day(day=d, in_month=True, weekend=d.weekday() >= 5, holiday=names.get(d, ""),
               kind=row.kind if row else "", note=row.note if row else "",
               province_wide=bool(row and row.office_id is None),
               working=work.is_working_day(d))


def _province_office(actor: User) -> Office | None:
    """Where the province-wide days' audit entries belong: the admin's province office."""
    office = actor.office
    if office is not None and str(office.kind) == "centre" and office.parent is not None:
        return office.parent
    return office


def scope_offices(session: Session, actor: User) -> list[Office]:
    """The offices whose calendar `actor` administers, in Vietnamese order."""
    ids = access.administered_office_ids(actor)
    return [o for o in days.offices(session) if o.id in ids]


def _check_day(day: date) -> None:
    years = year_range()
    if day.year not in years:
        raise CalendarAdminError(_l("Choose a date between %(first)s and %(last)s.",
                                    first=f"01/01/{years[0]}", last=f"31/12/{years[-1]}"))


def _own_entry(session: Session, office: Office | None, day: date) -> CalendarDay | None:
    return session.scalar(select(CalendarDay).where(*days._same_entry(
        day, office.id if office else None)))


def _ref(office: Office | None, day: date) -> str:
    return f"{office.agency_code if office else 'province'} {day.isoformat()}"


def add(session: Session, actor: User, office: Office | None, day: date, kind: str,
        note: str = "") -> CalendarDay:
    """Add (or turn around) an extra day off or make-up working day for `office` (None: every
    office of the province). Refused: a date outside the years shown, a make-up working day on
    a working day, a day off on a day already off."""
    _check_day(day)
    if kind not in days.KINDS:
        raise CalendarAdminError(_l("Choose the kind of day."), "kind")
    working = days.calendar_for(session, office).is_working_day(day)
    if kind == "work" and working:
        raise CalendarAdminError(_l("%(day)s is already a working day: a make-up working day "
                                    "is only for a weekend or a day off.",
                                    day=day.strftime("%d/%m/%Y")))
    if kind == "off" and not working:
        raise CalendarAdminError(_l("%(day)s is already a day off (a weekend, a public holiday "
                                    "or a day entered before).", day=day.strftime("%d/%m/%Y")))
    old = _own_entry(session, office, day)
    before = {"kind": old.kind, "note": old.note} if old is not None else None
    row = days.add_day(session, day, kind, office.agency_code if office else None, note)
    audit.record(session, actor, "calendar.add", "calendar", _ref(office, day), before=before,
                 after={"day": day, "kind": row.kind, "note": row.note},
                 office=office if office is not None else _province_office(actor))
    return row


def remove(session: Session, actor: User, office: Office | None, day: date) -> None:
    """Remove the entry of `office` (None: the province-wide one) for `day`."""
    old = _own_entry(session, office, day)
    if old is None:
        raise CalendarAdminError(_l("There is no day entered for that date."), status=404)
    before = {"day": day, "kind": old.kind, "note": old.note}
    days.remove_day(session, day, office.agency_code if office else None)
    audit.record(session, actor, "calendar.remove", "calendar", _ref(office, day),
                 before=before, after=None,
                 office=office if office is not None else _province_office(actor))
