"""The public data version: one counter that every change of what public pages show bumps
(procedures, their versions and levels, offices, calendar days), in the same transaction as
the change. The page cache keys on it, so a cached page never outlives the data it shows."""

from __future__ import annotations

from datetime import datetime
from itertools import chain

from sqlalchemy import Integer, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from district_portal.models.base import Base
from district_portal.models.calendar import CalendarDay
from district_portal.models.catalog import Procedure, ProcedureLevelChange, ProcedureVersion
from district_portal.models.office import Office
from district_portal.models.types import UTCDateTime, utcnow

SITE_ROW = 1
PUBLIC_DATA = (Procedure, ProcedureVersion, ProcedureLevelChange, Office, CalendarDay)


class SiteVersion(Base):
    __tablename__ = "site_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def current_version(session: Session) -> int:
    """The public data version (0 on a database without the row)."""
    return session.scalar(select(SiteVersion.version).where(SiteVersion.id == SITE_ROW)) or 0


def _touches_public_data(session: Session) -> bool:
    changed = chain(session.new, session.deleted,
                    (o for o in session.dirty if session.is_modified(o)))
    return any(isinstance(o, PUBLIC_DATA) for o in changed)


@event.listens_for(Session, "before_flush")
def _bump_on_public_change(session: Session, flush_context, instances) -> None:
    if _touches_public_data(session):
        session.execute(update(SiteVersion).where(SiteVersion.id == SITE_ROW)
                        .values(version=SiteVersion.version + 1, changed_at=utcnow()))
