"""Computed statistics kept in the database (table `stats_cache`), so /stats and
/api/v1/stats answer with one indexed lookup while no figure could have changed.

An entry is keyed by period, office and target, and is valid while
- the data version it was computed for is still the current one (`data_version`: what any
  figure depends on: dossier events, which every submission and every workflow action
  records — drafts record none and count for nothing —, online-level changes, the
  catalogue, the offices and the calendar), and
- it is younger than the TTL: "overdue" figures move with time alone.
Within a short grace (PORTAL_STATS_CACHE_GRACE_SECONDS, 60 s by default) an entry is served
even if the data changed since: a busy province records an event every few seconds, and
recomputing for every view would make the cache useless; figures at most a minute old, shown
with their own "as of" time, are honest.
The page shows the entry's own "as of" time. Nothing is kept in process memory (DESIGN §10).

The slow computation runs on the caller's (read) session; the entry is then written in a
short separate write transaction, so no transaction and no SQLite write lock is held while
computing. Two requests racing to store the same key: one wins, the other's write is
dropped. A failed write never fails the request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Integer, cast, delete, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from district_portal.models import (
    CalendarDay,
    DossierEvent,
    Office,
    Procedure,
    ProcedureLevelChange,
    ProcedureVersion,
    StatsCacheEntry,
)
from district_portal.services import stats
from district_portal.services.stats import figures as fg
from district_portal.services.stats.catalogue import LevelCounts
from district_portal.services.stats.periods import Period

log = logging.getLogger(__name__)
Writer = Callable[[], AbstractContextManager[Session]]


def data_version(session: Session) -> str:
    """A short text that changes whenever any statistic could change: one SELECT of
    aggregates over primary keys and small tables."""
    parts = [
        func.max(DossierEvent.id),
        func.count(ProcedureLevelChange.id), func.max(ProcedureLevelChange.id),
        func.count(Procedure.id), func.max(Procedure.updated_at),
        func.sum(cast(Procedure.published, Integer)),
        func.max(ProcedureVersion.id),
        func.count(Office.id), func.max(Office.id), func.sum(func.coalesce(Office.parent_id, 0)),
        func.sum(cast(Office.active, Integer)),
        func.count(CalendarDay.id), func.max(CalendarDay.id),
    ]
    values = session.execute(select(*(select(p).scalar_subquery() for p in parts))).one()
    return ":".join("" if v is None else _text(v) for v in values)


def _text(value) -> str:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else str(value)


def to_raw(st: stats.Stats) -> dict:
    """Every field of `st` as JSON-ready data (the input of `from_raw`): unlike `to_dict`,
    nothing is derived or rounded, so the page and the API rebuild exactly."""
    return {
        "as_of": st.as_of.isoformat(), "period": [st.period.start.isoformat(),
                                                  st.period.end.isoformat()],
        "office_code": st.office_code, "office_name": st.office_name, "target": st.target,
        "levels": asdict(st.levels), "totals": asdict(st.totals),
        "payments": {k: list(v) for k, v in st.payments.items()},
        "ratings": {str(k): v for k, v in st.ratings.items()},
        "by_office": [asdict(r) for r in st.by_office],
        "by_procedure": [asdict(r) for r in st.by_procedure],
    }


def from_raw(raw: dict) -> stats.Stats:
    """The Stats that `to_raw` was given."""
    return stats.Stats(
        as_of=datetime.fromisoformat(raw["as_of"]),
        period=Period(*(date.fromisoformat(d) for d in raw["period"])),
        office_code=raw["office_code"], office_name=raw["office_name"],
        target=raw["target"], levels=LevelCounts(**raw["levels"]),
        totals=fg.Figures(**raw["totals"]),
        payments={k: tuple(v) for k, v in raw["payments"].items()},
        ratings={int(k): v for k, v in raw["ratings"].items()},
        by_office=[stats.OfficeRow(**{**r, "figures": fg.Figures(**r["figures"])})
                   for r in raw["by_office"]],
        by_procedure=[stats.ProcedureRow(**{**r, "figures": fg.Figures(**r["figures"])})
                      for r in raw["by_procedure"]],
    )


def _key(period: Period, office, target: float) -> dict:
    return {"period_start": period.start, "period_end": period.end,
            "office_code": office.agency_code if office is not None else "",
            "target": repr(float(target))}


def cached_compute(session: Session, period: Period, office=None, *, writer: Writer,
                   ttl_seconds: int, grace_seconds: int = 0,
                   now: datetime | None = None) -> stats.Stats:
    """The statistics for `period` and `office`, from the cache when an entry for the current
    data version is younger than `ttl_seconds`; otherwise computed on `session` as of `now`
    (default: this minute, so answers within it are the same bytes) and stored through
    `writer()`, a context manager giving a short write transaction. `ttl_seconds` 0
    computes every time and stores nothing. An entry younger than `grace_seconds` is served
    whatever changed since."""
    now = (now or datetime.now(UTC).replace(second=0)).astimezone(UTC).replace(microsecond=0)
    if ttl_seconds <= 0:
        return stats.compute(session, period, office, now=now)
    key = _key(period, office, stats.target_share())
    version = data_version(session)
    entry = session.scalar(select(StatsCacheEntry).filter_by(**key))
    if entry is not None and _still_valid(entry, version, now, ttl_seconds, grace_seconds):
        return from_raw(entry.data)
    st = stats.compute(session, period, office, now=now)
    _store(writer, key, version, now, to_raw(st), ttl_seconds)
    return st


def _still_valid(entry, version: str, now: datetime, ttl: int, grace: int) -> bool:
    age = now - _aware(entry.computed_at)
    if age >= timedelta(seconds=ttl):
        return False
    return entry.data_version == version or age < timedelta(seconds=grace)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _store(writer: Writer, key: dict, version: str, now: datetime, raw: dict,
           ttl_seconds: int) -> None:
    """Replace the key's entry and drop the expired ones, in one short write transaction.
    Losing a race (another request stored the key first: a unique violation, or the write
    lock not obtained in time) leaves the other request's entry in place."""
    try:
        with writer() as w:
            w.execute(delete(StatsCacheEntry).filter_by(**key))
            w.execute(delete(StatsCacheEntry).where(
                StatsCacheEntry.computed_at <= now - timedelta(seconds=ttl_seconds)))
            w.add(StatsCacheEntry(**key, data_version=version, computed_at=now, data=raw))
            w.flush()
    except (IntegrityError, OperationalError) as exc:
        log.info("statistics not cached (another request stored them first?): %s", exc)
