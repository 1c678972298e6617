"""The office tree, as API keys and webhooks scoped to an office see it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.models import Office


def office_and_below(session: Session, office_id: int) -> set[int]:
    """`office_id` and every office below it in the tree (cycles in bad data end the walk)."""
    ids = {office_id}
    frontier = [office_id]
    while frontier:
        children = set(session.scalars(select(Office.id).where(Office.parent_id.in_(frontier))))
        frontier = list(children - ids)
        ids.update(children)
    return ids


def by_code(session: Session, agency_code: str) -> Office | None:
    return session.scalar(select(Office).where(Office.agency_code == agency_code))


def active_offices(session: Session) -> list[Office]:
    """Active offices by name (the admin page's choices)."""
    return list(session.scalars(select(Office).where(Office.active.is_(True))
                                .order_by(Office.name)))
