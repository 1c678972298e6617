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

from dataclasses import dataclass
from datetime import date

from sqlalchemy import String, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from district_portal.models import Dossier, DossierEvent, DossierStatus
from district_portal.models.types import UTCDateTime
from district_portal.services.dossiers.workflow import (
    OPEN_STATUSES,
    PAUSED_STATUSES,
    RESULT_STATUSES,
)

S = DossierStatus
D = Dossier
# Status sets from the transition table (sorted, so the SQL text is stable).
RESOLVED = tuple(sorted(RESULT_STATUSES))
PROCESSING = tuple(sorted(OPEN_STATUSES - {S.SUBMITTED}))  # accepted, not yet decided
PAUSED = tuple(sorted(PAUSED_STATUSES))


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

    def add(self, values: dict) -> None:
        for name, v in values.items():
            setattr(self, name, getattr(self, name) + v)


def _count(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _with_event(session, action: str, office_col, columns: dict, where) -> dict:
    """Like _grouped, over the dossiers that have at least one `action` event: few events,
    each joined to its dossier by primary key (no subquery per dossier)."""
    stmt = (select(office_col, D.procedure_id, *[c.label(n) for n, c in columns.items()])
            .select_from(DossierEvent).join(D, D.id == DossierEvent.dossier_id)
            .where(DossierEvent.action == action, *where)
            .group_by(office_col, D.procedure_id))
    return {(row[0], row[1]): {n: int(v or 0) for n, v in zip(columns, row[2:], strict=True)}
            for row in session.execute(stmt)}


def _between(col, lo, hi):
    return and_(col >= lo, col < hi)


def _grouped(session, office_col, columns: dict, where) -> dict:
    """{(office id, procedure id): {column name: int}}: one GROUP BY query."""
    names = list(columns)
    stmt = (select(office_col, D.procedure_id, *[c.label(n) for n, c in columns.items()])
            .where(*where).group_by(office_col, D.procedure_id))
    return {(row[0], row[1]): {n: int(v or 0) for n, v in zip(names, row[2:], strict=True)}
            for row in session.execute(stmt)}


def intake(session, lo, hi, now, office_ids) -> dict:
    """Dossiers submitted in [lo, hi), by receiving office and procedure."""
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
    }
    where = [D.status != S.DRAFT, _between(D.submitted_at, lo, hi)]
    if office_ids is not None:
        where.append(D.receiving_office_id.in_(office_ids))
    out = _grouped(session, D.receiving_office_id, cols, where)
    asked = _with_event(session, "request_supplement", D.receiving_office_id,
                        {"supplement_requested": func.count(D.id.distinct())}, where)
    for key, values in asked.items():
        out.setdefault(key, dict.fromkeys(cols, 0)).update(values)
    return out


def resolved(session, lo, hi, office_ids) -> dict:
    """Results issued in [lo, hi), by handling office and procedure."""
    where = _resolved_where(lo, hi, office_ids)
    late = D.completed_at > D.due_at
    out = _grouped(session, D.handling_office_id, {
        "resolved": func.count(), "on_time": _count(~late), "late": _count(late)}, where)
    # An extended deadline is an admitted delay: late even if done by the new due time.
    extended = _with_event(session, "extend", D.handling_office_id, {
        "extended": func.count(D.id.distinct()),
        "in_time": func.count(case((~late, D.id)).distinct())}, where)
    for key, values in extended.items():
        row = out[key]
        row["extended"] = values["extended"]
        row["on_time"] -= values["in_time"]
        row["late"] += values["in_time"]
    return out


def _resolved_where(lo, hi, office_ids):
    where = [D.status.in_(RESOLVED), _between(D.completed_at, lo, hi)]
    if office_ids is not None:
        where.append(D.handling_office_id.in_(office_ids))
    return where


def open_now(session, lo, hi, now, office_ids) -> dict:
    """Dossiers submitted in [lo, hi) and being processed at `now`, by handling office and
    procedure."""
    now_ = literal(now, UTCDateTime())
    deadline = func.coalesce(D.due_at, D.intake_due_at)
    clock = case((D.status.in_(PAUSED), D.paused_at), else_=now_)
    overdue = and_(deadline.is_not(None), deadline < clock)
    cols = {"open": func.count(), "open_overdue": _count(overdue),
            "open_not_due": _count(~overdue), "paused": _count(D.status.in_(PAUSED))}
    where = [D.status.in_(PROCESSING), _between(D.submitted_at, lo, hi)]
    if office_ids is not None:
        where.append(D.handling_office_id.in_(office_ids))
    return _grouped(session, D.handling_office_id, cols, where)


def day_pairs(session, lo, hi, office_ids) -> list[tuple]:
    """(handling office id, procedure id, local date of acceptance, local date of the result,
    count) over the results issued in [lo, hi): one sort in SQL, and at most offices ×
    procedures × day pairs rows, however many dossiers."""
    taken, done = local_date(D.accepted_at), local_date(D.completed_at)
    stmt = (select(D.handling_office_id, D.procedure_id, taken, done, func.count())
            .where(*_resolved_where(lo, hi, office_ids), D.accepted_at.is_not(None))
            .group_by(D.handling_office_id, D.procedure_id, taken, done))
    return [(o, p, date.fromisoformat(str(a)[:10]), date.fromisoformat(str(c)[:10]), int(n))
            for o, p, a, c, n in session.execute(stmt)]


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


def split(*parts: dict) -> tuple[Figures, dict, dict]:
    """Grouped results ({(office id, procedure id): {name: int}}) summed into the totals,
    {office id: Figures} and {procedure id: Figures}: a few dozen groups, not dossiers."""
    totals, by_office, by_proc = Figures(), {}, {}
    for part in parts:
        for (office_id, proc_id), values in part.items():
            totals.add(values)
            by_office.setdefault(office_id, Figures()).add(values)
            by_proc.setdefault(proc_id, Figures()).add(values)
    return totals, by_office, by_proc
