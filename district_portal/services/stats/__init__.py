"""Statistics computed from the catalogue and the dossiers, never typed in (DESIGN.md §7).

The stable interface (the JSON API and the /stats page both use it):
- `parse_period(start, end)` and `find_office(session, code)` validate filters and raise
  `StatsError` (a ServiceError, status 400, Vietnamese message);
- `compute(session, period, office=None, now=None) -> Stats`, whose `to_dict()` is JSON-ready
  and grouped as the service-quality index of Decision 766/QĐ-TTg (2022);
- `level_counts_as_of(session, when)` for the catalogue as it stood at any past instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.models import Office, Procedure
from district_portal.services.calendar.days import calendar_for
from district_portal.services.stats import figures as fg
from district_portal.services.stats.catalogue import (
    LevelCounts,
    level_counts,
    level_counts_as_of,
)
from district_portal.services.stats.periods import (
    Filters,
    Period,
    StatsError,
    default_period,
    find_office,
    office_subtree,
    offices,
    parse_filters,
    parse_period,
    today_local,
)

__all__ = ["DEFAULT_TARGET", "Filters", "LevelCounts", "OfficeRow", "Period", "ProcedureRow",
           "Stats", "StatsError", "compute", "default_period", "find_office", "level_counts",
           "level_counts_as_of", "offices", "parse_filters", "parse_period", "today_local"]

DEFAULT_TARGET = 0.30


@dataclass
class OfficeRow:
    agency_code: str
    name: str
    figures: fg.Figures


@dataclass
class ProcedureRow:
    code: str
    name: str
    online_level: str
    figures: fg.Figures


@dataclass
class Stats:
    """Every figure for one period and scope, with the instant it was computed."""

    as_of: datetime
    period: Period
    office_code: str | None
    office_name: str | None
    target: float
    levels: LevelCounts
    totals: fg.Figures
    payments: dict  # {"online": (count, amount), "desk": (count, amount)}
    ratings: dict  # {1..5: count}
    by_office: list[OfficeRow] = field(default_factory=list)
    by_procedure: list[ProcedureRow] = field(default_factory=list)

    @property
    def full_online_needed(self) -> int:
        return self.levels.gap(self.target)

    @property
    def payment_online_share(self) -> float | None:
        n = self.payments["online"][0] + self.payments["desk"][0]
        return self.payments["online"][0] / n if n else None

    @property
    def rating_count(self) -> int:
        return sum(self.ratings.values())

    @property
    def rating_average(self) -> float | None:
        n = self.rating_count
        return round(sum(k * v for k, v in self.ratings.items()) / n, 2) if n else None

    def to_dict(self) -> dict:
        """JSON-ready, in the five groups of Decision 766/QĐ-TTg's service-quality index."""
        from district_portal.services.stats.export import stats_dict

        return stats_dict(self)


def target_share() -> float:
    if has_app_context():
        return float(current_app.config.get("FULL_ONLINE_TARGET", DEFAULT_TARGET))
    return DEFAULT_TARGET


def compute(session: Session, period: Period, office: Office | None = None,
            now: datetime | None = None) -> Stats:
    """All statistics for `period` and `office` with the offices below it (None: every
    office), as they stand at `now` (default: this instant), which is the "as of" time.

    Procedures by level are today's catalogue when the period reaches today, else the
    catalogue as it stood at the period's end (rebuilt from ProcedureLevelChange).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    office_ids = office_subtree(session, office) if office is not None else None
    lo, hi = period.bounds()
    levels = level_counts(session, office_ids) if hi > now else \
        level_counts_as_of(session, hi - timedelta(microseconds=1), office_ids)
    by_office = _by_key(session, lo, hi, now, office_ids, fg.D.receiving_office_id,
                        fg.D.handling_office_id)
    by_proc = _by_key(session, lo, hi, now, office_ids, fg.D.procedure_id, fg.D.procedure_id)
    totals = fg.Figures()
    for fig in by_office.values():
        totals.add(fig)
    _add_processing_days(session, lo, hi, office_ids, totals, by_office, by_proc)
    return Stats(
        as_of=now, period=period,
        office_code=office.agency_code if office is not None else None,
        office_name=office.name if office is not None else None,
        target=target_share(), levels=levels, totals=totals,
        payments=fg.payments(session, lo, hi, office_ids),
        ratings=fg.ratings(session, lo, hi, office_ids),
        by_office=_office_rows(session, by_office),
        by_procedure=_procedure_rows(session, by_proc),
    )


def _by_key(session, lo, hi, now, office_ids, intake_key, processing_key) -> dict:
    return fg.combine(
        fg.intake(session, lo, hi, now, office_ids, intake_key),
        fg.resolved(session, lo, hi, office_ids, processing_key),
        fg.open_now(session, lo, hi, now, office_ids, processing_key),
    )


def _add_processing_days(session, lo, hi, office_ids, totals, by_office, by_proc) -> None:
    """Working days from acceptance to result: the working days after the day of acceptance
    up to and including the day of the result (accepted Monday, result Thursday: 3), on the
    handling office's calendar (its days off and make-up days)."""
    pairs = fg.processing_day_pairs(session, lo, hi, office_ids)
    counters: dict = {}
    for office_id, proc_id, accepted, completed, n in pairs:
        counter = counters.get(office_id)
        if counter is None:
            counter = counters[office_id] = _DayCounter(
                calendar_for(session, session.get(Office, office_id) if office_id else None))
        days = counter.between(accepted, completed) * n
        totals.processing_days_total += days
        for table, key in ((by_office, office_id), (by_proc, proc_id)):
            if key in table:
                table[key].processing_days_total += days


class _DayCounter:
    """Working days between two dates, memoised per date (few distinct dates)."""

    def __init__(self, calendar):
        self.calendar = calendar
        self.cache: dict[tuple[date, date], int] = {}

    def between(self, a: date, b: date) -> int:
        if b <= a:
            return 0
        key = (a, b)
        if key not in self.cache:
            n, d = 0, a
            while d < b:
                d += timedelta(days=1)
                n += self.calendar.is_working_day(d)
            self.cache[key] = n
        return self.cache[key]


def _office_rows(session, by_office: dict) -> list[OfficeRow]:
    ids = [k for k in by_office if k is not None]
    offices = session.scalars(select(Office).where(Office.id.in_(ids))).all() if ids else []
    rows = [OfficeRow(o.agency_code, o.name, by_office[o.id]) for o in offices]
    return sorted(rows, key=lambda r: (-r.figures.received, r.name))


def _procedure_rows(session, by_proc: dict) -> list[ProcedureRow]:
    ids = [k for k in by_proc if k is not None]
    procs = session.scalars(select(Procedure).where(Procedure.id.in_(ids))).all() if ids else []
    rows = [ProcedureRow(p.code, p.name, p.online_level, by_proc[p.id]) for p in procs]
    return sorted(rows, key=lambda r: (-r.figures.received, r.name, r.code))
