"""The dossier changes feed for other systems: status changes read from DossierEvent, never
personal data, paged by an opaque signed cursor (keyset on the event's (at, id)).

What an item may carry is fixed here (CHANGE_FIELDS): dossier code, procedure code, the
offices' agency codes, action, statuses and time. Names, ID numbers, phones, answers and
notes never leave through this feed or the webhooks built on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from district_portal.models import ApiKey, Dossier, DossierEvent, Office, Procedure
from district_portal.services.api.offices import office_and_below
from district_portal.services.errors import ServiceError

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# Events become visible once this old: an event is stamped when its request starts and
# committed when it ends, so a slower request may commit an earlier time after a reader has
# passed it. Waiting longer than any request lasts keeps the keyset from skipping it.
SETTLE = timedelta(seconds=30)
CHANGE_FIELDS = ("event_id", "dossier_code", "procedure_code", "receiving_office",
                 "handling_office", "from_office", "to_office", "action", "from_status",
                 "to_status", "at")
_SALT = "dossier-changes-cursor"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ChangesError(ServiceError):
    """A `since` or `limit` the feed cannot use (400)."""


@dataclass
class ChangesPage:
    items: list[dict]
    next_cursor: str
    has_more: bool


def event_id(dossier_public_id: str, event_pk: int) -> str:
    """A stable opaque id for an event (consumers use it to drop repeated deliveries),
    derived from the dossier's random public id, which the feed never shows."""
    return hashlib.sha256(f"{dossier_public_id}:{event_pk}".encode()).hexdigest()[:24]


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def change_item(event: DossierEvent, *, dossier_public_id, dossier_code, procedure_code,
                receiving, handling, from_office, to_office) -> dict:
    """One feed item (also the body of a webhook delivery): only CHANGE_FIELDS."""
    return {
        "event_id": event_id(dossier_public_id, event.id), "dossier_code": dossier_code,
        "procedure_code": procedure_code, "receiving_office": receiving,
        "handling_office": handling, "from_office": from_office, "to_office": to_office,
        "action": event.action, "from_status": event.from_status,
        "to_status": event.to_status, "at": iso(event.at),
    }


def parse_limit(value: str | None) -> int:
    if value in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ChangesError(_l("limit must be a whole number from 1 to %(max)d.", max=MAX_LIMIT))
    return limit


def parse_since(secret: str, value: str | None) -> tuple[datetime, int | None]:
    """A cursor from a previous page (strictly after it) or an ISO 8601 time (events at or
    after it; a time without an offset is UTC). Nothing given: from the beginning."""
    if not value:
        return EPOCH, None
    if not value[:1].isdigit():
        try:
            at, pk = URLSafeSerializer(secret, salt=_SALT).loads(value)
            return datetime.fromisoformat(at), int(pk)
        except (BadSignature, ValueError, TypeError):
            raise ChangesError(_l("since is not a cursor this feed gave out.")) from None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ChangesError(_l("since must be an ISO 8601 time such as 2026-03-01T00:00:00Z "
                              "or a next_cursor.")) from None
    return max(when, EPOCH), None  # nothing happened before the portal existed


def make_cursor(secret: str, at: datetime, pk: int | None) -> str:
    return URLSafeSerializer(secret, salt=_SALT).dumps([at.astimezone(UTC).isoformat(), pk or 0])


def list_changes(session: Session, key: ApiKey, *, secret: str, since: str | None,
                 limit: str | None, now: datetime) -> ChangesPage:
    """The next page of status changes the key may see, oldest first, each exactly once
    when followed with next_cursor (which is returned even for an empty page)."""
    at, pk = parse_since(secret, since)
    size = parse_limit(limit)
    recv, hand, frm, to = (aliased(Office) for _ in range(4))
    E = DossierEvent
    stmt = (
        select(E, Dossier.public_id, Dossier.code, Procedure.code, recv.agency_code,
               hand.agency_code, frm.agency_code, to.agency_code)
        .join(Dossier, Dossier.id == E.dossier_id)
        .join(Procedure, Procedure.id == Dossier.procedure_id)
        .outerjoin(recv, recv.id == Dossier.receiving_office_id)
        .outerjoin(hand, hand.id == Dossier.handling_office_id)
        .outerjoin(frm, frm.id == E.from_office_id)
        .outerjoin(to, to.id == E.to_office_id)
        .where(E.at <= now - SETTLE)
        .where(or_(E.at > at, and_(E.at == at, E.id > pk)) if pk is not None else E.at >= at)
        .order_by(E.at, E.id).limit(size + 1)
    )
    if key.office_id is not None:
        ids = office_and_below(session, key.office_id)
        stmt = stmt.where(or_(Dossier.receiving_office_id.in_(ids),
                              Dossier.handling_office_id.in_(ids),
                              E.from_office_id.in_(ids), E.to_office_id.in_(ids)))
    rows = session.execute(stmt).all()
    has_more = len(rows) > size
    rows = rows[:size]
    items = [change_item(ev, dossier_public_id=pub, dossier_code=code, procedure_code=proc,
                         receiving=r, handling=h, from_office=f, to_office=t)
             for ev, pub, code, proc, r, h, f, t in rows]
    if rows:
        cursor = make_cursor(secret, rows[-1][0].at, rows[-1][0].id)
    else:
        cursor = since if pk is not None else make_cursor(secret, at - timedelta(microseconds=1),
                                                          2**62)
    return ChangesPage(items=items, next_cursor=cursor, has_more=has_more)
