"""Dossier figures for a period, aggregated in SQL (SUM of CASE, GROUP BY), never by looping
over dossiers in Python.

Which dossiers each figure counts (DESIGN.md §4, §7):
- received, channel, refused, withdrawn, intake, supplements: dossiers SUBMITTED in the period,
  by their receiving office (where the applicant filed);
- resolved on time / late and processing time: dossiers whose result was issued (done or
  returned) in the period, by their handling office (who decided). Late means issued after the
  due time, or with the due time extended (an extension comes with the apology slip: the
  office admits the delay);
- open (not yet due / overdue): dossiers submitted in the period and being processed at the
  "as of" time, by their handling office; a paused dossier is overdue only if its due time had
  passed when it was paused (the pause stops the clock);
- payments: `pay` events in the period (by the system: online; by a clerk: at the desk);
- satisfaction: ratings of dossiers returned in the period.
Drafts are never counted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import String, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from district_portal.models import Dossier, DossierEvent, DossierStatus
from district_portal.models.types import UTCDateTime

S = DossierStatus
D = Dossier
RESOLVED = (S.DONE, S.RETURNED)
PROCESSING = (S.ACCEPTED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED)
PAUSED = (S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED)


class local_date(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """The Asia/Ho_Chi_Minh calendar date of a UTC timestamp, as 'YYYY-MM-DD' text."""

    type = String()
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    # Việt Nam has kept UTC+7 without daylight saving since 1975.
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    return f"to_char(timezone('Asia/Ho_Chi_Minh', {arg}), 'YYYY-MM-DD')"


@dataclass
class Figures:
    """One row of dossier figures (the whole scope, one office or one procedure)."""

    received: int = 0
    online: int = 0
    counter: int = 0
    refused: int = 0
    withdrawn: int = 0
    waiting_intake: int = 0
    intake_overdue: int = 0
    intake_late: int = 0
    supplement_requested: int = 0
    resolved: int = 0
    on_time: int = 0
    late: int = 0
    extended: int = 0
    open: int = 0
    open_not_due: int = 0
    open_overdue: int = 0
    paused: int = 0
    processing_days_total: int = 0  # working days, summed over resolved dossiers

    @property
    def online_share(self) -> float | None:
        return self.online / self.received if self.received else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None

    @property
    def average_processing_days(self) -> float | None:
        return round(self.processing_days_total / self.resolved, 2) if self.resolved else None

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def _count(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _has_event(action: str):
    return select(DossierEvent.id).where(DossierEvent.dossier_id == D.id,
                                         DossierEvent.action == action).exists()


def _between(col, lo, hi):
    return and_(col >= lo, col < hi)


def _grouped(session, key, columns: dict, where) -> dict:
    """{key value (None for the whole scope): {column name: int}}."""
    names = list(columns)
    cols = [c.label(n) for n, c in columns.items()]
    stmt = select(*([key.label("k")] if key is not None else []), *cols).where(*where)
    if key is not None:
        stmt = stmt.group_by(key)
    out = {}
    for row in session.execute(stmt):
        k = row[0] if key is not None else None
        values = row[1:] if key is not None else row
        out[k] = {n: int(v or 0) for n, v in zip(names, values, strict=True)}
    return out


def intake(session, lo, hi, now, office_ids, key=None) -> dict:
    """Dossiers submitted in [lo, hi), by receiving office."""
    now_ = literal(now, UTCDateTime())
    waiting = D.status == S.SUBMITTED
    cols = {
        "received": func.count(),
        "online": _count(D.channel == "online"),
        "counter": _count(D.channel != "online"),
        "refused": _count(D.status == S.NOT_ACCEPTED),
        "withdrawn": _count(D.status == S.WITHDRAWN),
        "waiting_intake": _count(and_(waiting, or_(D.intake_due_at.is_(None),
                                                   D.intake_due_at >= now_))),
        "intake_overdue": _count(and_(waiting, D.intake_due_at < now_)),
        "intake_late": _count(or_(D.accepted_at > D.intake_due_at,
                                  and_(D.status == S.NOT_ACCEPTED,
                                       D.completed_at > D.intake_due_at))),
        "supplement_requested": _count(_has_event("request_supplement")),
    }
    where = [D.status != S.DRAFT, _between(D.submitted_at, lo, hi)]
    if office_ids is not None:
        where.append(D.receiving_office_id.in_(office_ids))
    return _grouped(session, key, cols, where)


def _late():
    return or_(D.completed_at > D.due_at, _has_event("extend"))


def resolved(session, lo, hi, office_ids, key=None) -> dict:
    """Results issued in [lo, hi), by handling office."""
    late = _late()
    cols = {"resolved": func.count(), "on_time": _count(~late), "late": _count(late),
            "extended": _count(_has_event("extend"))}
    return _grouped(session, key, cols, _resolved_where(lo, hi, office_ids))


def _resolved_where(lo, hi, office_ids):
    where = [D.status.in_(RESOLVED), _between(D.completed_at, lo, hi)]
    if office_ids is not None:
        where.append(D.handling_office_id.in_(office_ids))
    return where


def open_now(session, lo, hi, now, office_ids, key=None) -> dict:
    """Dossiers submitted in [lo, hi) and being processed at `now`, by handling office."""
    now_ = literal(now, UTCDateTime())
    deadline = func.coalesce(D.due_at, D.intake_due_at)
    clock = case((D.status.in_(PAUSED), D.paused_at), else_=now_)
    overdue = and_(deadline.is_not(None), deadline < clock)
    cols = {"open": func.count(), "open_overdue": _count(overdue),
            "open_not_due": _count(~overdue), "paused": _count(D.status.in_(PAUSED))}
    where = [D.status.in_(PROCESSING), _between(D.submitted_at, lo, hi)]
    if office_ids is not None:
        where.append(D.handling_office_id.in_(office_ids))
    return _grouped(session, key, cols, where)


def processing_day_pairs(session, lo, hi, office_ids) -> list[tuple]:
    """(handling office id, procedure id, accepted local date, completed local date, count)
    for results issued in [lo, hi): few rows, since many dossiers share the same days."""
    a, c = local_date(D.accepted_at), local_date(D.completed_at)
    stmt = (select(D.handling_office_id, D.procedure_id, a, c, func.count())
            .where(*_resolved_where(lo, hi, office_ids), D.accepted_at.is_not(None))
            .group_by(D.handling_office_id, D.procedure_id, a, c))
    return [(o, p, date.fromisoformat(str(x)[:10]), date.fromisoformat(str(y)[:10]), n)
            for o, p, x, y, n in session.execute(stmt)]


def payments(session, lo, hi, office_ids) -> dict:
    """{'online': (count, amount), 'desk': (count, amount)} of fees paid in [lo, hi)."""
    way = case((DossierEvent.actor_id.is_(None), "online"), else_="desk")
    stmt = (select(way, func.count(), func.coalesce(func.sum(D.fee), 0))
            .join(D, D.id == DossierEvent.dossier_id)
            .where(DossierEvent.action == "pay", _between(DossierEvent.at, lo, hi)))
    if office_ids is not None:
        stmt = stmt.where(D.receiving_office_id.in_(office_ids))
    out = {"online": (0, 0), "desk": (0, 0)}
    for w, n, amount in session.execute(stmt.group_by(way)):
        out[w] = (int(n), int(amount))
    return out


def ratings(session, lo, hi, office_ids) -> dict[int, int]:
    """{1..5: number of ratings} for dossiers returned in [lo, hi)."""
    stmt = (select(D.rating, func.count())
            .where(D.status == S.RETURNED, D.rating.is_not(None),
                   _between(D.returned_at, lo, hi)))
    if office_ids is not None:
        stmt = stmt.where(D.receiving_office_id.in_(office_ids))
    out = dict.fromkeys(range(1, 6), 0)
    for r, n in session.execute(stmt.group_by(D.rating)):
        if r in out:
            out[r] = int(n)
    return out


def combine(*parts: dict) -> dict:
    """Merge grouped results ({key: {name: int}}) into {key: Figures}."""
    out: dict = {}
    for part in parts:
        for k, values in part.items():
            fig = out.setdefault(k, Figures())
            for name, v in values.items():
                setattr(fig, name, getattr(fig, name) + v)
    return out
