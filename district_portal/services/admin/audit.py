"""The append-only audit log of the admin console: record every change with who, when, what
before and after; search it for the audit page and its CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from district_portal.models import AuditEntry, Office, User
from district_portal.models.types import utcnow
from district_portal.text import from_local

PAGE_SIZE = 50


def _plain(value):
    """JSON-safe copy: dates as ISO strings, sets as sorted lists."""
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def _default(value):
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def record(session: Session, actor: User | None, action: str, target_kind: str,
           target_ref: str = "", *, before: dict | None = None, after: dict | None = None,
           office: Office | None = None, note: str = "") -> AuditEntry:
    """Add one entry in the caller's transaction: it lands with the change or not at all."""
    name = ""
    if actor is not None:
        name = actor.full_name + (f" <{actor.email}>" if actor.email else "")
    entry = AuditEntry(
        at=utcnow(), actor=actor, actor_name=name[:300], action=action,
        target_kind=target_kind, target_ref=str(target_ref)[:200],
        office_id=office.id if office is not None else None,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None, note=note[:1000])
    session.add(entry)
    return entry


def changed_fields(before: dict | None, after: dict | None) -> list[str]:
    """Keys whose value differs (for the log's one-line summary)."""
    before, after = before or {}, after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


@dataclass(frozen=True)
class AuditFilter:
    office_ids: frozenset[int] | None = None  # None: every entry (no scoping)
    action: str = ""
    target_kind: str = ""
    actor: str = ""  # part of the actor's name or email
    target: str = ""  # part of the target reference
    since: date | None = None
    until: date | None = None  # inclusive


def _query(flt: AuditFilter):
    q = select(AuditEntry)
    if flt.office_ids is not None:
        q = q.where(or_(AuditEntry.office_id.in_(flt.office_ids),
                        AuditEntry.actor_id.in_(
                            select(User.id).where(User.office_id.in_(flt.office_ids)))))
    if flt.action:
        q = q.where(AuditEntry.action == flt.action)
    if flt.target_kind:
        q = q.where(AuditEntry.target_kind == flt.target_kind)
    if flt.actor:
        q = q.where(AuditEntry.actor_name.ilike(f"%{_like(flt.actor)}%", escape="\\"))
    if flt.target:
        q = q.where(AuditEntry.target_ref.ilike(f"%{_like(flt.target)}%", escape="\\"))
    # The dates an admin types are Vietnamese calendar days (not the server's time zone).
    if flt.since:
        q = q.where(AuditEntry.at >= from_local(datetime.combine(flt.since, time.min)))
    if flt.until:
        q = q.where(AuditEntry.at < from_local(datetime.combine(flt.until + timedelta(days=1),
                                                                time.min)))
    return q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(session: Session, flt: AuditFilter, page: int = 1) -> tuple[list[AuditEntry], bool]:
    """One page of entries, newest first, and whether there is a next page."""
    rows = session.scalars(_query(flt).offset((max(page, 1) - 1) * PAGE_SIZE)
                           .limit(PAGE_SIZE + 1)).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


CSV_HEADER = ("at", "actor", "action", "target_kind", "target", "office", "changed", "before",
              "after", "note")


def to_csv(session: Session, flt: AuditFilter) -> str:
    """Every matching entry (no paging) as CSV, UTF-8 with a BOM so Excel reads Vietnamese."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    offices = {o.id: o.agency_code for o in session.scalars(select(Office))}
    for e in session.scalars(_query(flt)).yield_per(500):
        writer.writerow([
            e.at.isoformat(), _safe(e.actor_name), e.action, e.target_kind,
            _safe(e.target_ref), offices.get(e.office_id, ""),
            " ".join(changed_fields(e.before, e.after)), _cell(e.before), _cell(e.after),
            _safe(e.note)])
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    return _safe(json.dumps(value, ensure_ascii=False, sort_keys=True))


def _safe(text: str) -> str:
    """A spreadsheet must not run a cell as a formula (CSV injection, OWASP)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def choices(session: Session, office_ids: frozenset[int] | None) -> tuple[list[str], list[str]]:
    """The actions and target kinds found in the entries `office_ids` may see (the audit
    page's filter lists)."""
    scoped = _query(AuditFilter(office_ids=office_ids)).order_by(None).subquery()
    actions = session.scalars(select(scoped.c.action).distinct().order_by(scoped.c.action))
    kinds = session.scalars(select(scoped.c.target_kind).distinct()
                            .order_by(scoped.c.target_kind))
    return list(actions), list(kinds)


def comparison(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    """(key, value before, value after) for each changed key, values as short JSON text
    ("" when the key is absent)."""
    before, after = before or {}, after or {}
    return [(key, _shown(before, key), _shown(after, key))
            for key in changed_fields(before, after)]


def _shown(values: dict, key: str) -> str:
    if key not in values:
        return ""
    value = values[key]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                            sort_keys=True)
