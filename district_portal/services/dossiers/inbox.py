"""The staff inbox: tabs with live counts, search, and keyset pagination by due time.

Read-only query builders shared by the staff views. The page order is (due_at, id) with
dossiers that have no due time yet (waiting to be received) after the others, by id. A page is
read without OFFSET: the cursor is the (due_at, id) of the last row shown, signed so that it is
an opaque token in the URL. A page merges ordered index ranges and stops after one page of rows
(page_order.py), so it costs the same on page 1 and on page 2,000 and with 100,000 dossiers in
one office.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import and_, func, or_, select
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
from district_portal.models.types import utcnow
from district_portal.services.calendar.days import calendar_for
from district_portal.services.catalog import queries
from district_portal.services.dossiers import counts as counts_
from district_portal.services.dossiers import page_order, queues, search
from district_portal.services.dossiers.search import search_condition
from district_portal.services.dossiers.workflow import PROCESSING_STATUSES
from district_portal.text import LOCAL_TZ

S = DossierStatus
PER_PAGE = 50
#: A name that the engine's name index finds in fewer dossiers than this (in any office) is
#: read through it at once, without a walk.
RARE = 200
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
             now: datetime, user: User | None = None, searched: bool = True,
             due=Dossier.due_at) -> list:
    """The tab's and the URL's conditions; the search's too, through the engine's name
    index, unless `searched` is False (the walk applies it to the rows it reads). `due` is
    the due time as the conditions should read it (see _walk)."""
    conds = queues.conditions(tab.key, user)
    cond = search_condition(query.q, session.get_bind().dialect.name) if searched else None
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
        conds.append(due <= due_soon_cutoff(session, office, now))
    elif tab.key == "overdue":
        conds.append(due < now)
    return conds


def due_soon_cutoff(session: Session, office: Office | None, now: datetime) -> datetime:
    """One working day from now on the office's calendar."""
    return calendar_for(session, office).add_working_days(now, 1)


# --- the page ------------------------------------------------------------------------------


def inbox_page(session: Session, office_ids: set[int], office: Office | None,
               query: InboxQuery, per_page: int = PER_PAGE,
               now: datetime | None = None, user: User | None = None) -> Page:
    """One page of the tab by due time then id, after the cursor (personal tabs: `user`'s)."""
    now = now or utcnow()
    tab = TABS_BY_KEY.get(query.tab, TABS[0])
    if not office_ids:
        return Page([], None)
    after = decode_cursor(query.cursor)
    limit = per_page + 1
    q = query.q.strip()
    keys = None
    # A code, a tracking code, a phone number or a rare name picks a few dossiers through
    # its index; so does the leader's tab (ix_dossier_to_issue). The rest is walked in page
    # order.
    words = search.name_words(q)
    if tab.key != "to_issue" and (not q or words and not search.rare(session, words, RARE)):
        keys = page_order.walked_keys(
            session, office_ids, tab, after, limit, q,
            lambda due: _filters(session, query, tab, office, now, user, searched=False, due=due))
    if keys is None:
        extra = _filters(session, query, tab, office, now, user)
        keys = page_order.searched_keys(session, office_ids, tab, extra, after, limit)
    return _page(session, keys, per_page)


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
    live = []  # (tab key, count of one branch): read together, in one round trip
    for branch in page_order.branches(office_ids):
        for key, statuses, column, cond in (
                ("overdue", WORKING, Dossier.due_at, Dossier.due_at < now),
                ("due_soon", WORKING, Dossier.due_at, Dossier.due_at <= cutoff),
                ("intake_overdue", (S.SUBMITTED,), Dossier.intake_due_at,
                 Dossier.intake_due_at < now)):
            start = cut_day if key == "due_soon" else today
            live.append((key, select(func.count()).select_from(Dossier).where(
                branch, Dossier.status.in_(statuses), column >= start, cond)
                .scalar_subquery()))
    for (key, _count), value in zip(live, session.execute(
            select(*(count for _key, count in live))).one(), strict=True):
        counts[key] += value or 0
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
