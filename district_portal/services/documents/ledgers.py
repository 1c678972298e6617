"""The ledger (form 06) of an office for a period of local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from district_portal.models import Dossier, DossierStatus, Office
from district_portal.services.documents import slips
from district_portal.services.errors import ServiceError
from district_portal.text import LOCAL_TZ, format_date, to_local

MAX_DAYS = 366  # one ledger covers at most a year
# Days outside these years cannot be a dossier's, and the first and last years that date
# arithmetic allows (1, 9999) overflow when turned into UTC bounds.
FIRST_YEAR, LAST_YEAR = 1900, 2100


class PeriodError(ServiceError):
    """A ledger period that cannot be printed; the message says why."""


def this_month(today: date | None = None) -> tuple[date, date]:
    """The first and last local day of the current month."""
    today = today or to_local(datetime.now(UTC)).date()
    first = today.replace(day=1)
    next_first = (first + timedelta(days=32)).replace(day=1)
    return first, next_first - timedelta(days=1)


def parse_period(start: str | None, end: str | None) -> tuple[date, date]:
    """Two ISO dates (YYYY-MM-DD), first ≤ last, at most a year apart; PeriodError otherwise."""
    try:
        first = date.fromisoformat(start or "")
        last = date.fromisoformat(end or "")
    except ValueError:
        raise PeriodError(_l("Enter both dates as day, month and year (YYYY-MM-DD).")) \
            from None
    if not (FIRST_YEAR <= first.year <= LAST_YEAR and FIRST_YEAR <= last.year <= LAST_YEAR):
        raise PeriodError(_l("Enter dates between the years %(first)d and %(last)d.",
                             first=FIRST_YEAR, last=LAST_YEAR))
    if first > last:
        raise PeriodError(_l("The start date must not be after the end date."))
    if (last - first).days >= MAX_DAYS:
        raise PeriodError(_l("A ledger covers at most one year. Choose a shorter period."))
    return first, last


def received_dossiers(session: Session, office: Office, first: date,
                      last: date) -> list[Dossier]:
    """Dossiers received by `office` and submitted between the two local days (inclusive)."""
    start = datetime.combine(first, time(), LOCAL_TZ).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), LOCAL_TZ).astimezone(UTC)
    return list(session.scalars(
        select(Dossier).where(Dossier.receiving_office_id == office.id,
                              Dossier.status != DossierStatus.DRAFT,
                              Dossier.submitted_at >= start, Dossier.submitted_at < end)
        .options(selectinload(Dossier.procedure_version), selectinload(Dossier.handling_office))
        .order_by(Dossier.submitted_at, Dossier.id)))


def office_ledger(session: Session, office: Office, first: date, last: date) -> slips.Ledger:
    """Form 06 of `office` for the period, as a view-model ready to render."""
    period = f"Từ ngày {format_date(first)} đến ngày {format_date(last)}"
    return slips.ledger(received_dossiers(session, office, first, last), office, period)
