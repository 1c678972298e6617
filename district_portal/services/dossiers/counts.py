"""The inbox's tab counts, kept instead of counted (issue 12, item 4).

Every dossier that is not a draft adds one to the `inbox_count` row of its key: receiving
office, handling office, status, assignee (open statuses only), the UTC day number of the
deadline its tabs count against (the intake due time while submitted, the due time while being
processed; 0 otherwise) and whether its result is prepared and waits for issue. A listener
on every session's flush compares each inserted, changed or deleted dossier's key before and
after and applies the difference with one atomic upsert per row (`n = n + delta`), in the
flush's own transaction, in key order (so two transactions never lock the same rows in
opposite orders). A status change, a transfer, an assignment or a new due
time therefore moves the dossier between rows in the transaction that makes the change; if that
transaction rolls back, so does the count. `portal inbox-recount` rebuilds the table.

The tabs that depend on the clock (overdue, due within a working day, intake overdue) add the
whole days before the cut-off from the table to a live count of the cut-off's own day, a small
range of the (office, status, due time) indexes.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, case, delete, event, func, insert, or_, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from district_portal.models import Dossier, DossierStatus, InboxCount
from district_portal.services.dossiers.workflow import OPEN_STATUSES, PROCESSING_STATUSES

S = DossierStatus
SECONDS_PER_DAY = 86400
#: The columns a key is made of, in the order of `key_of`'s arguments.
TRACKED = ("status", "receiving_office_id", "handling_office_id", "assignee_id",
           "intake_due_at", "due_at", "verification_token")
Key = tuple[int, int, str, int, int, int]


def day_of(moment: datetime | None) -> int:
    """The UTC day number of a moment (days since 1970-01-01); 0 for none."""
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() // SECONDS_PER_DAY)


def day_start(day: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)


def key_of(status, receiving_office_id, handling_office_id, assignee_id,
           intake_due_at, due_at, verification_token=None) -> Key | None:
    """The inbox_count row a dossier with these values counts in (None: a draft). `result`
    is 1 for a dossier being processed whose result is prepared (its verification token is
    given when the result is prepared, documents/issuing.py): the leader's "waiting for
    issue"."""
    if status is None:
        return None
    status = DossierStatus(status)
    if status == S.DRAFT:
        return None
    if status == S.SUBMITTED:
        day = day_of(intake_due_at)
    elif status in PROCESSING_STATUSES:
        day = day_of(due_at)
    else:
        day = 0
    assignee = (assignee_id or 0) if status in OPEN_STATUSES else 0
    result = int(status in PROCESSING_STATUSES and verification_token is not None)
    return (receiving_office_id or 0, handling_office_id or 0, status.value, assignee, day,
            result)


def _value(state, name: str, *, old: bool):
    history = state.attrs[name].history
    if old:
        values = history.deleted or history.unchanged
        if not values and not history.added:
            return getattr(state.obj(), name)  # not loaded yet: read it now (unchanged)
        return values[0] if values else None
    return getattr(state.obj(), name)


def _key(dossier: Dossier, *, old: bool) -> Key | None:
    state = sa_inspect(dossier)
    return key_of(*(_value(state, name, old=old) for name in TRACKED))


def _deltas(session: Session) -> Counter:
    deltas: Counter = Counter()
    for obj in session.new:
        if isinstance(obj, Dossier):
            deltas[_key(obj, old=False)] += 1
    for obj in session.dirty:
        if isinstance(obj, Dossier) and session.is_modified(obj, include_collections=False):
            deltas[_key(obj, old=True)] -= 1
            deltas[_key(obj, old=False)] += 1
    for obj in session.deleted:
        if isinstance(obj, Dossier) and sa_inspect(obj).persistent:
            deltas[_key(obj, old=True)] -= 1
    deltas.pop(None, None)
    return deltas


def _upsert(dialect: str):
    table = InboxCount.__table__
    stmt = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))
    return stmt.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={"n": table.c.n + stmt.excluded.n})


def apply(session: Session, deltas: Counter) -> None:
    """Add each delta to its row (created when missing), atomically, in key order."""
    changes = sorted((k, d) for k, d in deltas.items() if d)
    if not changes:
        return
    connection = session.connection()
    stmt = _upsert(connection.dialect.name)
    for (receiving, handling, status, assignee, day, result), delta in changes:
        connection.execute(stmt.values(
            receiving_office_id=receiving, handling_office_id=handling, status=status,
            assignee_id=assignee, day=day, result=result, n=delta))


@event.listens_for(Session, "before_flush")
def _keep_counts(session: Session, _flush_context, _instances) -> None:
    apply(session, _deltas(session))


def full_count(session: Session) -> Counter:
    """Every key's number of dossiers, counted from the dossiers themselves."""
    counts: Counter = Counter()
    rows = session.execute(select(*(getattr(Dossier, n) for n in TRACKED))
                           .where(Dossier.status != S.DRAFT)
                           .execution_options(yield_per=5000))
    for row in rows:
        counts[key_of(*row)] += 1
    counts.pop(None, None)
    return counts


def recount(session: Session) -> int:
    """Rebuild inbox_count from the dossiers; returns how many dossiers were counted."""
    if session.get_bind().dialect.name == "postgresql":
        # Changes in flight either finish before this (their rows are locked) or wait for
        # it and then apply their difference to the rebuilt table; SQLite has one writer.
        session.execute(text("LOCK TABLE inbox_count IN EXCLUSIVE MODE"))
    counts = full_count(session)
    session.execute(delete(InboxCount))
    batch = [{"receiving_office_id": k[0], "handling_office_id": k[1], "status": k[2],
              "assignee_id": k[3], "day": k[4], "result": k[5], "n": n}
             for k, n in sorted(counts.items())]
    if batch:
        session.execute(insert(InboxCount), batch)
    return sum(counts.values())


def kept_counts(session: Session, office_ids: set[int] | None = None) -> dict[Key, int]:
    """The non-zero rows (of the offices: received by one of them or handled by one)."""
    stmt = select(InboxCount.receiving_office_id, InboxCount.handling_office_id,
                  InboxCount.status, InboxCount.assignee_id, InboxCount.day,
                  InboxCount.result, InboxCount.n).where(InboxCount.n != 0)
    if office_ids is not None:
        ids = sorted(office_ids)
        stmt = stmt.where(or_(InboxCount.receiving_office_id.in_(ids),
                              InboxCount.handling_office_id.in_(ids)))
    return {tuple(r[:6]): r[6] for r in session.execute(stmt)}


def sums(session: Session, office_ids: set[int], now: datetime, cutoff: datetime,
         assignee_id: int | None, issuing_office_id: int | None = None) -> dict:
    """From the table, for the offices: dossiers per status, and per status those whose
    deadline falls on a day before now's and before the cut-off's, the assignee's, and
    those with a prepared result that `issuing_office_id` handles (a leader's office)."""
    today, cut_day = day_of(now), day_of(cutoff)
    c = InboxCount
    ids = sorted(office_ids)

    def before(day: int):
        return func.sum(case((and_(c.day > 0, c.day < day), c.n), else_=0))

    rows = session.execute(
        select(c.status, func.sum(c.n), before(today), before(cut_day),
               func.sum(case((c.assignee_id == (assignee_id or -1), c.n), else_=0)),
               func.sum(case((and_(c.result == 1,
                                   c.handling_office_id == (issuing_office_id or -1)), c.n),
                             else_=0)))
        .where(or_(c.receiving_office_id.in_(ids), c.handling_office_id.in_(ids)))
        .group_by(c.status))
    out = {"status": {}, "before_today": {}, "before_cutoff": {}, "assigned": {},
           "to_issue": {}}
    for status, total, b_today, b_cut, mine, to_issue in rows:
        key = DossierStatus(status)
        out["status"][key] = int(total or 0)
        out["before_today"][key] = int(b_today or 0)
        out["before_cutoff"][key] = int(b_cut or 0)
        out["assigned"][key] = int(mine or 0)
        out["to_issue"][key] = int(to_issue or 0)
    return out
