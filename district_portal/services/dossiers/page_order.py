"""The keys (id, due_at) of one inbox page in page order: due time, the undated last, then id.

A page is walked: each status received here is one ordered range of
ix_dossier_office_status_due, and one UNION ALL merges them and stops after a page of rows
(or, for a name search, after WALK_ROWS dossiers). A search that picks few dossiers through
an index (a code, a phone number, a rare name) is read in one query and sorted instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, case, func, literal, or_, select, tuple_, union_all
from sqlalchemy.orm import Session, aliased

from district_portal.models import Dossier
from district_portal.models.types import UTCDateTime
from district_portal.services.dossiers.search import search_condition

if TYPE_CHECKING:
    from district_portal.services.dossiers.inbox import Tab

Cursor = tuple[datetime | None, int] | None

#: A name search first walks the tab in page order through at most this many dossiers: a
#: frequent name fills its page early. When they hold less than a page of matches, the name
#: is rare here and is read through the engine's name index instead (search.py).
WALK_ROWS = 10_000


def _elsewhere_ranges(ids: list[int]) -> list:
    """receiving_office_id NOT IN ids, as ranges that the index
    ix_dossier_handling_status_receiving reads while skipping the office's own dossiers."""
    col = Dossier.receiving_office_id
    parts = [col < ids[0], col > ids[-1]]
    parts += [and_(col > a, col < b) for a, b in zip(ids, ids[1:], strict=False) if b > a + 1]
    return parts


def _received_elsewhere(ids: list[int]):
    return or_(*_elsewhere_ranges(ids))


def branches(office_ids: set[int]):
    """Dossiers received by one of the offices, and those only handled by one of them
    (transferred in): two disjoint sets, each read from its own index."""
    ids = sorted(office_ids)
    return (
        Dossier.receiving_office_id.in_(ids),
        and_(Dossier.handling_office_id.in_(ids), _received_elsewhere(ids)),
    )


def walked_keys(session: Session, office_ids: set[int], tab: Tab, after: Cursor, limit: int,
                q: str, filters: Callable[[object], list]) -> list | None:
    """The page's (id, due_at): the dated dossiers, then (if the page is not full) those
    without a due time. With a name search, None when the walk read WALK_ROWS dossiers of a
    segment and found less than a page: the name is rare, so its index is the better way."""
    keys = []
    if after is None or after[0] is not None:
        keys = _walk(session, office_ids, tab, after, limit, q, filters, dated=True)
        if keys is None:
            return None
    if len(keys) < limit and tab.key not in ("due_soon", "overdue"):  # these need a due time
        rest = _walk(session, office_ids, tab, after if after and after[0] is None else None,
                     limit - len(keys), q, filters, dated=False)
        if rest is None:
            return None
        keys += rest
    return keys


def _walk(session: Session, office_ids: set[int], tab: Tab,
          after: Cursor, limit: int, q: str,
          filters: Callable[[object], list], dated: bool) -> list | None:
    """One segment (with or without a due time) of the page, in page order; with a name
    search, None when the segment's first WALK_ROWS dossiers hold less than a page of it.

    Each status received here is one ordered range of ix_dossier_office_status_due. ORDER BY
    and LIMIT on the UNION ALL make both engines merge those ranges (SQLite's merge of
    compound SELECTs, PostgreSQL's Merge Append) and stop after the rows asked for. The
    dossiers transferred in from elsewhere are few: read through the index that skips our
    own, one arm per range of other receiving offices, and sorted. In those arms SQLite reads
    the due time through an expression: on the plain column it would rather walk
    ix_dossier_handling_status_due in order through every dossier of our own. (PostgreSQL
    then sorts the whole union instead of merging: it gets the plain column.)"""
    sqlite = session.get_bind().dialect.name == "sqlite"
    merged = _merged(office_ids, tab, after, filters, dated, sqlite)
    if not q:
        return session.execute(merged.limit(limit)).all()
    # The walk's end: the WALK_ROWS-th dossier of the segment in page order (index only).
    end = None
    if sqlite:  # SQLite: the name checked in each range, which the merge reads lazily
        end = session.execute(merged.limit(1).offset(WALK_ROWS - 1)).first()
        keys = session.execute(_merged(office_ids, tab, after, filters, dated, sqlite, q, end)
                               .limit(limit)).all()
    else:
        # PostgreSQL: the name checked around the first WALK_ROWS of the merge. (Checked
        # in each range, it expects the name to keep almost nothing and reads and sorts
        # every range whole.)
        walked = aliased(Dossier, _merged(office_ids, tab, after, filters, dated, sqlite,
                                          named=True).limit(WALK_ROWS).subquery("walked"))
        keys = session.execute(
            select(walked.id, walked.due_at).where(search_condition(q, entity=walked))
            .order_by(walked.due_at, walked.id).limit(limit)).all()
        if len(keys) < limit:
            end = session.execute(merged.limit(1).offset(WALK_ROWS - 1)).first()
    return None if len(keys) < limit and end is not None else keys


def _merged(office_ids: set[int], tab: Tab, after: Cursor,
            filters: Callable[[object], list], dated: bool, sqlite: bool, q: str = "",
            end=None, named: bool = False):
    """The segment's (id, due_at) in page order, as one UNION ALL (see _walk); with `q`, only
    the dossiers it finds, up to the row `end` (inclusive); `named`: with the columns a name
    search reads (in ix_dossier_office_status_due)."""
    received = branches(office_ids)[0]
    handled_here = Dossier.handling_office_id.in_(sorted(office_ids))
    arms = []
    moved_due = func.coalesce(Dossier.due_at, None) if sqlite else Dossier.due_at
    for moved, due in ((False, Dossier.due_at), (True, moved_due)):
        cond = [due.is_not(None) if dated else due.is_(None), *filters(due)]
        if after is not None:
            cond.append(tuple_(due, Dossier.id) >
                        tuple_(literal(after[0], UTCDateTime()), literal(after[1])) if dated
                        else Dossier.id > after[1])
        if q:
            cond.append(search_condition(q))  # SQLite: no index answers LIKE '%word%'
        if end is not None:
            cond.append(tuple_(due, Dossier.id) <=
                        tuple_(literal(end.due_at, UTCDateTime()), literal(end.id)) if dated
                        else Dossier.id <= end.id)
        columns = [Dossier.id, due.label("due_at")]
        if named:
            columns += [Dossier.applicant_name_search, Dossier.ref]
        if not moved:
            arms += [select(*columns).where(received, Dossier.status == status, *cond)
                     for status in tab.statuses]
        else:
            arms += [select(*columns).where(handled_here, Dossier.status.in_(tab.statuses),
                                            elsewhere, *cond)
                     for elsewhere in _elsewhere_ranges(sorted(office_ids))]
    if sqlite:
        merged = union_all(*arms)
        return merged.order_by(merged.selected_columns.due_at, merged.selected_columns.id)
    # PostgreSQL merges a UNION ALL in FROM whose arms are each ordered (Merge Append); it
    # sorts a top-level one, or one of unordered arms, whole.
    merged = union_all(*(arm.order_by(Dossier.due_at, Dossier.id) for arm in arms))
    merged = merged.subquery("merged")
    return select(*merged.c).order_by(merged.c.due_at, merged.c.id)


def searched_keys(session: Session, office_ids: set[int], tab: Tab, extra: list,
                   after: Cursor, limit: int) -> list:
    """The page's (id, due_at) when searching: the search picks few dossiers through its
    index (search.py), so they are read in one query and sorted, not range by range."""
    no_due = case((Dossier.due_at.is_(None), 1), else_=0)
    conds = [or_(*branches(office_ids)), Dossier.status.in_(tab.statuses), *extra,
             *_after_conditions(tab, after)]
    return session.execute(
        select(Dossier.id, Dossier.due_at).where(*conds)
        .order_by(no_due, Dossier.due_at, Dossier.id).limit(limit)).all()


def _after_conditions(tab: Tab, after: Cursor) -> list:
    """Rows after the cursor in the page order (due time, the undated last, then id), for
    a query that reads every status of the tab at once; and a due time where the tab needs
    one."""
    conds = []
    if after is not None and after[0] is not None:
        conds.append(or_(Dossier.due_at.is_(None),
                         tuple_(Dossier.due_at, Dossier.id) >
                         tuple_(literal(after[0], UTCDateTime()), literal(after[1]))))
    elif after is not None:
        conds += [Dossier.due_at.is_(None), Dossier.id > after[1]]
    if tab.key in ("due_soon", "overdue"):
        conds.append(Dossier.due_at.is_not(None))
    return conds
