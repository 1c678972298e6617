"""The staff inbox: tabs with live counts, search, and keyset pagination by due time.

Read-only query builders shared by the staff views. The page order is (due_at, id) with
dossiers that have no due time yet (waiting to be received) after the others, by id. A page is
read without OFFSET: the cursor is the (due_at, id) of the last row shown, signed so that it is
an opaque token in the URL. Each (status, office branch) pair is read as its own small ordered
range of the (office, status, due_at, id) indexes, so a page costs the same on page 1 and on
page 2,000 and with 100,000 dossiers in one office.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import and_, case, func, literal, or_, select, tuple_, union_all
from sqlalchemy.orm import Session, selectinload

from district_portal.collation import person_sort_key, sorted_vi
from district_portal.models import (
    Dossier,
    DossierStatus,
    Office,
    Procedure,
    Role,
    User,
)
from district_portal.models.types import UTCDateTime, utcnow
from district_portal.services.calendar.days import calendar_for
from district_portal.services.catalog import queries
from district_portal.services.dossiers import counts as counts_
from district_portal.services.dossiers import queues, search
from district_portal.services.dossiers.search import search_condition
from district_portal.services.dossiers.workflow import PROCESSING_STATUSES
from district_portal.text import LOCAL_TZ

S = DossierStatus
PER_PAGE = 50
#: A name search that picks fewer dossiers than this through SQLite's FTS5 table is read in
#: one query and sorted; more are walked in due order (search.narrow).
SEARCH_CAP = 30_000
NON_DRAFT = tuple(s for s in DossierStatus if s != S.DRAFT)
WORKING = PROCESSING_STATUSES  # the handling office works on it; the due time runs


@dataclass(frozen=True)
class Tab:
    key: str
    label: object
    statuses: tuple[DossierStatus, ...]


TABS = (
    Tab("mine", _l("Assigned to me"), queues.ASSIGNED_STATUSES),
    Tab("to_issue", _l("Waiting for issue"), queues.ISSUE_STATUSES),
    Tab("new", _l("New"), (S.SUBMITTED,)),
    Tab("intake_overdue", _l("Intake overdue"), (S.SUBMITTED,)),
    Tab("in_progress", _l("In progress"), WORKING),
    Tab("supplement", _l("Waiting for supplement"), (S.SUPPLEMENT_REQUESTED,)),
    Tab("payment", _l("Waiting for payment"), (S.PAYMENT_REQUESTED,)),
    Tab("due_soon", _l("Due within a working day"), WORKING),
    Tab("overdue", _l("Overdue"), WORKING),
    Tab("done", _l("To return"), (S.DONE,)),
    Tab("all", _l("All"), NON_DRAFT),
)
TABS_BY_KEY = {t.key: t for t in TABS}


@dataclass
class InboxQuery:
    """What the inbox shows: a tab plus optional search and filters (all from the URL)."""

    tab: str = "new"
    q: str = ""
    procedure: str = ""  # procedure code
    date_from: date | None = None  # submitted, local dates, inclusive
    date_to: date | None = None
    cursor: str = ""


@dataclass
class Page:
    rows: list[Dossier]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


# --- the cursor --------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="inbox-cursor")


def encode_cursor(due_at: datetime | None, dossier_id: int) -> str:
    return _serializer().dumps([due_at.isoformat() if due_at else None, dossier_id])


def decode_cursor(token: str) -> tuple[datetime | None, int] | None:
    """(due_at, id) of the last row of the previous page; None for a missing or forged one."""
    if not token:
        return None
    try:
        due, dossier_id = _serializer().loads(token)
        return (datetime.fromisoformat(due) if due else None), int(dossier_id)
    except (BadData, TypeError, ValueError):
        return None


# --- filters -------------------------------------------------------------------------------


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, LOCAL_TZ)


def _filters(session: Session, query: InboxQuery, tab: Tab, office: Office | None,
             now: datetime, user: User | None = None, indexed: bool = False) -> list:
    conds = queues.conditions(tab.key, user)
    # Through the engine's name index when the search is narrow (read in one query); as
    # plain conditions when it is walked in due order range by range.
    cond = search_condition(query.q, session.get_bind().dialect.name if indexed else "")
    if cond is not None:
        conds.append(cond)
    if query.procedure:
        conds.append(Dossier.procedure_id == select(Procedure.id).where(
            Procedure.code == query.procedure).scalar_subquery())
    if query.date_from:
        conds.append(Dossier.submitted_at >= _local_midnight(query.date_from))
    if query.date_to:
        conds.append(Dossier.submitted_at < _local_midnight(query.date_to + timedelta(days=1)))
    if tab.key == "intake_overdue":
        conds.append(Dossier.intake_due_at < now)
    elif tab.key == "due_soon":
        conds.append(Dossier.due_at <= due_soon_cutoff(session, office, now))
    elif tab.key == "overdue":
        conds.append(Dossier.due_at < now)
    return conds


def due_soon_cutoff(session: Session, office: Office | None, now: datetime) -> datetime:
    """One working day from now on the office's calendar."""
    return calendar_for(session, office).add_working_days(now, 1)


def _received_elsewhere(ids: list[int]):
    """receiving_office_id NOT IN ids, written as ranges so that the index
    ix_dossier_handling_status_receiving can skip the office's own dossiers."""
    col = Dossier.receiving_office_id
    parts = [col < ids[0], col > ids[-1]]
    parts += [and_(col > a, col < b) for a, b in zip(ids, ids[1:], strict=False) if b > a + 1]
    return or_(*parts)


def _branches(office_ids: set[int]):
    """Dossiers received by one of the offices, and those only handled by one of them
    (transferred in): two disjoint sets, each read from its own index."""
    ids = sorted(office_ids)
    return (
        Dossier.receiving_office_id.in_(ids),
        and_(Dossier.handling_office_id.in_(ids), _received_elsewhere(ids)),
    )


# --- the page ------------------------------------------------------------------------------


def inbox_page(session: Session, office_ids: set[int], office: Office | None,
               query: InboxQuery, per_page: int = PER_PAGE,
               now: datetime | None = None, user: User | None = None) -> Page:
    """One page of the tab by due time then id, after the cursor (personal tabs: `user`'s)."""
    now = now or utcnow()
    tab = TABS_BY_KEY.get(query.tab, TABS[0])
    if not office_ids:
        return Page([], None)
    narrow = bool(query.q.strip()) and search.narrow(session, query.q, SEARCH_CAP)
    extra = _filters(session, query, tab, office, now, user, indexed=narrow)
    after = decode_cursor(query.cursor)
    limit = per_page + 1
    if narrow or tab.key == "to_issue":  # few: prepared results (ix_dossier_to_issue)
        keys = _searched_keys(session, office_ids, tab, extra, after, limit)
        return _page(session, keys, per_page)
    parts = []
    received, transferred_in = _branches(office_ids)
    for status in tab.statuses:
        for branch in (received, transferred_in):
            base = [branch, Dossier.status == status, *extra]
            # Dossiers received here: each (status, segment) is an ordered index range read
            # up to `limit`. Dossiers transferred in from elsewhere are few: read them all
            # (no ORDER BY, so the planner takes the index that skips our own) and let the
            # outer query order them.
            ordered = branch is received
            if after is None or after[0] is not None:
                cond = [Dossier.due_at.is_not(None)]
                if after is not None:
                    cond.append(tuple_(Dossier.due_at, Dossier.id) >
                                tuple_(literal(after[0], UTCDateTime()), literal(after[1])))
                stmt = select(Dossier.id, Dossier.due_at).where(*base, *cond)
                if ordered:
                    stmt = stmt.order_by(Dossier.due_at, Dossier.id).limit(limit)
                parts.append(stmt.subquery())
            if tab.key in ("due_soon", "overdue"):
                continue  # these need a due time
            # (Transferred in: due_at through a function, so that SQLite does not take
            # "due_at IS NULL" for an equality on the (office, status, due_at) index and
            # read every dossier of the status instead of skipping the office's own.)
            cond = [Dossier.due_at.is_(None) if ordered else
                    func.coalesce(Dossier.due_at, None).is_(None)]
            if after is not None and after[0] is None:
                cond.append(Dossier.id > after[1])
            stmt = select(Dossier.id, Dossier.due_at).where(*base, *cond)
            if ordered:
                # due_at is NULL throughout: ordering by it too matches the whole
                # (office, status, due_at, id) index, which PostgreSQL then walks in order
                # instead of scanning the primary key and filtering.
                stmt = stmt.order_by(Dossier.due_at, Dossier.id).limit(limit)
            parts.append(stmt.subquery())
    if not parts:
        return Page([], None)
    union = union_all(*[select(p.c.id, p.c.due_at) for p in parts]).subquery()
    keys = session.execute(
        select(union.c.id, union.c.due_at)
        .order_by(case((union.c.due_at.is_(None), 1), else_=0), union.c.due_at, union.c.id)
        .limit(limit)
    ).all()
    return _page(session, keys, per_page)


def _searched_keys(session: Session, office_ids: set[int], tab: Tab, extra: list,
                   after: tuple[datetime | None, int] | None, limit: int) -> list:
    """The page's (id, due_at) when searching: the search picks few dossiers through its
    index (search.py), so they are read in one query and sorted, not range by range."""
    no_due = case((Dossier.due_at.is_(None), 1), else_=0)
    conds = [or_(*_branches(office_ids)), Dossier.status.in_(tab.statuses), *extra]
    if after is not None and after[0] is not None:
        conds.append(or_(Dossier.due_at.is_(None),
                         tuple_(Dossier.due_at, Dossier.id) >
                         tuple_(literal(after[0], UTCDateTime()), literal(after[1]))))
    elif after is not None:
        conds += [Dossier.due_at.is_(None), Dossier.id > after[1]]
    if tab.key in ("due_soon", "overdue"):
        conds.append(Dossier.due_at.is_not(None))
    return session.execute(
        select(Dossier.id, Dossier.due_at).where(*conds)
        .order_by(no_due, Dossier.due_at, Dossier.id).limit(limit)).all()


def _page(session: Session, keys: list, per_page: int) -> Page:
    ids = [k.id for k in keys[:per_page]]
    loaded = {d.id: d for d in session.scalars(
        select(Dossier).where(Dossier.id.in_(ids))
        .options(selectinload(Dossier.procedure)))} if ids else {}
    rows = [loaded[i] for i in ids]
    next_cursor = None
    if len(keys) > per_page:
        last = rows[-1]
        next_cursor = encode_cursor(last.due_at, last.id)
    return Page(rows, next_cursor)


def tab_counts(session: Session, office_ids: set[int], office: Office | None,
               now: datetime | None = None, user: User | None = None) -> dict[str, int]:
    """Count of every tab (without the search filters); personal tabs are `user`'s. Read from
    the kept counts (services/dossiers/counts.py) plus, for the tabs that depend on the
    clock, a live count of the cut-off's own day."""
    now = now or utcnow()
    counts = {t.key: 0 for t in TABS}
    if not office_ids:
        return counts
    cutoff = due_soon_cutoff(session, office, now)
    kept = counts_.sums(session, office_ids, now, cutoff, user.id if user else None,
                        user.office_id if user else None)
    today = counts_.day_start(counts_.day_of(now))
    cut_day = counts_.day_start(counts_.day_of(cutoff))
    counts["overdue"] = sum(kept["before_today"].get(s, 0) for s in WORKING)
    counts["due_soon"] = sum(kept["before_cutoff"].get(s, 0) for s in WORKING)
    counts["intake_overdue"] = kept["before_today"].get(S.SUBMITTED, 0)
    for branch in _branches(office_ids):
        for key, statuses, column, cond in (
                ("overdue", WORKING, Dossier.due_at, Dossier.due_at < now),
                ("due_soon", WORKING, Dossier.due_at, Dossier.due_at <= cutoff),
                ("intake_overdue", (S.SUBMITTED,), Dossier.intake_due_at,
                 Dossier.intake_due_at < now)):
            start = cut_day if key == "due_soon" else today
            counts[key] += session.scalar(
                select(func.count()).select_from(Dossier)
                .where(branch, Dossier.status.in_(statuses), column >= start, cond)) or 0
    for tab in TABS:
        if tab.key in queues.PERSONAL_TABS:
            if queues.visible_tabs(user, [tab.key]):
                kind = "assigned" if tab.key == "mine" else "to_issue"
                counts[tab.key] = sum(kept[kind].get(s, 0) for s in tab.statuses)
        elif tab.key not in ("due_soon", "overdue", "intake_overdue"):
            counts[tab.key] = sum(kept["status"].get(s, 0) for s in tab.statuses)
    return counts


# --- the daily worklist ------------------------------------------------------------------


def worklist(session: Session, office_ids: set[int], office: Office | None,
             now: datetime | None = None, limit: int = 200,
             user: User | None = None) -> dict[str, Page]:
    """What the office must do today: due today, overdue, waiting for supplement, to return;
    and, for an officer, their own dossiers due within three working days ("mine_due")."""
    now = now or utcnow()
    end_of_day = _local_midnight(now.astimezone(LOCAL_TZ).date() + timedelta(days=1))
    sections = {}
    for key, tab in (("overdue", "overdue"), ("due_today", "in_progress"),
                     ("supplement", "supplement"), ("to_return", "done")):
        q = InboxQuery(tab=tab)
        if key == "due_today":
            page = _due_between(session, office_ids, now, end_of_day, limit)
        else:
            page = inbox_page(session, office_ids, office, q, per_page=limit, now=now)
        sections[key] = page
    if user is not None and user.has_role(Role.OFFICER):
        rows, more = queues.mine_due_soon(session, user, now, limit)
        sections["mine_due"] = Page(rows, "more" if more else None)
    return sections


def _due_between(session, office_ids, start, end, limit) -> Page:
    ids = sorted(office_ids)
    rows = list(session.scalars(
        select(Dossier).where(
            or_(Dossier.receiving_office_id.in_(ids), Dossier.handling_office_id.in_(ids)),
            Dossier.status.in_(WORKING), Dossier.due_at >= start, Dossier.due_at < end)
        .options(selectinload(Dossier.procedure))
        .order_by(Dossier.due_at, Dossier.id).limit(limit + 1)))
    return Page(rows[:limit], "more" if len(rows) > limit else None)


# --- the dossier page --------------------------------------------------------------------


def counter_draft(session: Session, public_id: str) -> Dossier | None:
    if not public_id or len(public_id) > 32:
        return None
    return session.scalar(
        select(Dossier).where(Dossier.public_id == public_id, Dossier.channel == "counter")
        .options(selectinload(Dossier.attachments))
    )


def officers_of(session: Session, office_id: int | None) -> list[User]:
    """Active officers of an office (roles is a JSON list: filtered here), as Vietnamese
    lists of people go: by given name (the last word), then the full name."""
    if office_id is None:
        return []
    users = session.scalars(select(User).where(User.office_id == office_id,
                                               User.active.is_(True)).order_by(User.id))
    return sorted((u for u in users if u.has_role(Role.OFFICER)),
                  key=lambda u: person_sort_key(u.full_name))


def transfer_targets(session: Session, dossier: Dossier) -> list[Office]:
    """Active offices with a real agency code, other than the handling office, in Vietnamese
    alphabetical order."""
    return sorted_vi((o for o in session.scalars(select(Office).where(Office.active.is_(True)))
                      if o.id != dossier.handling_office_id and not o.is_provisional),
                     key=lambda o: o.name)


def procedures_for(session: Session, office_ids: set[int]) -> list[Procedure]:
    """The inbox filter's choices: published procedures received by one of the offices, and
    any procedure (even unpublished since) that has filed dossiers there to find."""
    if not office_ids:
        return []
    ids = sorted(office_ids)
    listing = sorted(queries.routed_to(session, office_ids))  # merged offices' too
    has_dossiers = select(Dossier.id).where(
        Dossier.procedure_id == Procedure.id, Dossier.status != S.DRAFT,
        or_(Dossier.receiving_office_id.in_(ids), Dossier.handling_office_id.in_(ids)),
    ).exists()
    return sorted_vi(session.scalars(
        select(Procedure).where(or_(
            and_(Procedure.published.is_(True),
                 Procedure.offices.any(Office.id.in_(listing))),
            has_dossiers))), key=lambda p: p.name)


def counter_procedures(session: Session, office: Office | None) -> list[Procedure]:
    """Published procedures the office receives: what a clerk may take at the desk."""
    if office is None:
        return []
    return sorted_vi(session.scalars(
        select(Procedure).where(Procedure.published.is_(True), Procedure.offices.any(
            Office.id.in_(queries.routed_to(session, {office.id}))))
        .options(selectinload(Procedure.current_version))), key=lambda p: p.name)
