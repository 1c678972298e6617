"""The admin audit log: one row per change made in the admin console, never changed or
deleted (the ORM refuses it here; database triggers refuse it too, see migration 0017)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from district_portal.models.base import Base
from district_portal.models.types import JSONType, PublicId, UTCDateTime, new_public_id, utcnow
from district_portal.models.user import User


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_target", "target_kind", "target_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(PublicId, unique=True, default=new_public_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The actor's name and login as they were: the log reads the same after a rename.
    actor_name: Mapped[str] = mapped_column(String(300), default="")
    # What was done, in English dotted words ("procedure.edit", "user.create",
    # "resident.view"); the page translates them.
    action: Mapped[str] = mapped_column(String(60), index=True)
    # What it was done to: a kind ("procedure", "office", "user", "calendar", "catalogue",
    # "api_key") and a stable reference (a procedure code, an agency code, a public id).
    target_kind: Mapped[str] = mapped_column(String(40))
    target_ref: Mapped[str] = mapped_column(String(200), default="")
    # The office the change concerns, for scoping the log to an admin's offices.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"), index=True)
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    note: Mapped[str] = mapped_column(String(1000), default="")

    actor: Mapped[User | None] = relationship()


class AuditLogIsAppendOnly(RuntimeError):
    """Raised at flush time when code tries to change or delete an audit entry."""


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("the audit log is append-only")
