"""The period and office a statistic is asked for: parsed from what a person or a system typed,
refused with a Vietnamese message when impossible."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.collation import sort_key
from district_portal.models import Office
from district_portal.services.catalog.queries import office_subtree  # noqa: F401 (stats' name)
from district_portal.services.errors import ServiceError
from district_portal.text import LOCAL_TZ, clean

MAX_YEARS = 5
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_VN = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class StatsError(ServiceError):
    """A filter that cannot be answered (impossible date, reversed or too long period, unknown
    office); `message` is shown as it is, with status 400."""

    def __init__(self, message, field: str = ""):
        super().__init__(message, 400)
        self.field = field


@dataclass(frozen=True)
class Period:
    """Local calendar days from `start` to `end`, both included (Asia/Ho_Chi_Minh)."""

    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants [start 00:00 local, the day after end 00:00 local)."""
        lo = datetime.combine(self.start, time(0), LOCAL_TZ).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), LOCAL_TZ).astimezone(UTC)
        return lo, hi

    def to_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def today_local(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(LOCAL_TZ).date()


def default_period(today: date) -> Period:
    """From 1 January of this year to today."""
    return Period(date(today.year, 1, 1), today)


def parse_date(text: str | None, field: str) -> date | None:
    """'2026-03-01' or '01/03/2026' → date; '' or None → None; anything else → StatsError."""
    text = clean(text)
    if not text:
        return None
    iso, vn = _ISO.fullmatch(text), _VN.fullmatch(text)
    if iso:
        y, m, d = (int(g) for g in iso.groups())
    elif vn:
        d, m, y = (int(g) for g in vn.groups())
    else:
        raise StatsError(_l("Enter the date as dd/mm/yyyy, for example 01/03/2026."), field)
    try:
        return date(y, m, d)
    except ValueError:
        raise StatsError(_l("This date does not exist: %(text)s.", text=text), field) from None


def parse_period(start: str | date | None = None, end: str | date | None = None, *,
                 today: date | None = None) -> Period:
    """The period asked for; a missing start is 1 January of the end's year, a missing end
    today. Raises StatsError for an impossible date, an end before the start, or a period
    longer than five years."""
    today = today or today_local()
    lo = start if isinstance(start, date) else parse_date(start, "start")
    hi = end if isinstance(end, date) else parse_date(end, "end")
    hi = hi or today
    lo = lo or date(hi.year, 1, 1)
    if hi < lo:
        raise StatsError(_l("The end date is before the start date."), "end")
    if (hi - lo).days >= _five_years_days(lo):
        raise StatsError(_l("The period may be at most %(n)s years.", n=MAX_YEARS), "start")
    return Period(lo, hi)


def _five_years_days(lo: date) -> int:
    try:
        limit = lo.replace(year=lo.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = date(lo.year + MAX_YEARS, 3, 1)
    return (limit - lo).days


def find_office(session: Session, agency_code: str | None) -> Office | None:
    """The office with this agency code; None for no filter; StatsError when unknown."""
    code = clean(agency_code)
    if not code:
        return None
    office = session.scalar(select(Office).where(Office.agency_code == code[:40]))
    if office is None:
        raise StatsError(_l("There is no office with the code %(code)s.", code=code[:40]),
                         "office")
    return office


@dataclass(frozen=True)
class Filters:
    period: Period
    office: Office | None


def parse_filters(session: Session, start: str | None, end: str | None,
                  office: str | None, today: date | None = None) -> Filters:
    """The period and the office of a statistics request, or StatsError (status 400)."""
    return Filters(parse_period(start, end, today=today), find_office(session, office))


def offices(session: Session) -> list[Office]:
    """Offices a statistic can be asked for, the province first, then in Vietnamese
    alphabetical order."""
    rows = session.scalars(select(Office).where(Office.active.is_(True))).all()
    return sorted(rows, key=lambda o: (o.parent_id is not None, o.kind != "province",
                                       sort_key(o.name)))
