"""The procedure catalogue: procedures and their immutable versions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from district_portal.models.base import Base
from district_portal.models.office import Office
from district_portal.models.types import JSONType, UTCDateTime, utcnow


class OnlineLevel(enum.StrEnum):
    FULL = "full"  # toàn trình (old "level 4")
    PARTIAL = "partial"  # một phần (old "level 3")
    NONE = "none"  # trực tiếp: at the office only


procedure_office = Table(
    "procedure_office",
    Base.metadata,
    Column("procedure_id", ForeignKey("procedure.id", ondelete="CASCADE"), primary_key=True),
    Column("office_id", ForeignKey("office.id", ondelete="CASCADE"), primary_key=True),
)


class Procedure(Base):
    __tablename__ = "procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    # Denormalised from the current version so lists and search need no join.
    name: Mapped[str] = mapped_column(String(500))
    field: Mapped[str] = mapped_column(String(500), index=True)
    online_level: Mapped[str] = mapped_column(String(10), index=True)
    search_text: Mapped[str] = mapped_column(Text)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("procedure_version.id", use_alter=True, name="fk_procedure_current_version")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    current_version: Mapped[ProcedureVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    offices: Mapped[list[Office]] = relationship(secondary=procedure_office)
    versions: Mapped[list[ProcedureVersion]] = relationship(
        back_populates="procedure",
        foreign_keys="ProcedureVersion.procedure_id",
        order_by="ProcedureVersion.number",
    )

    @property
    def receiving_offices(self) -> list[Office]:
        """The offices that take its new dossiers: the active ones it lists and, for a listed
        office since deactivated, the successor that took it over (each once, in order)."""
        out: list[Office] = []
        for office in self.offices:
            current = office.current()
            if current is not None and current not in out:
                out.append(current)
        return out


class ProcedureVersion(Base):
    """An immutable snapshot of one procedure's catalogue entry."""

    __tablename__ = "procedure_version"
    __table_args__ = (UniqueConstraint("procedure_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"))
    number: Mapped[int] = mapped_column(Integer)
    # The procedure's entry exactly as in the catalogue file (minus `published`).
    data: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    procedure: Mapped[Procedure] = relationship(
        back_populates="versions", foreign_keys=[procedure_id]
    )

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def online_level(self) -> str:
        return self.data["online_level"]


class ProcedureLevelChange(Base):
    """Every change of a procedure's online level; statistics for past dates replay these."""

    __tablename__ = "procedure_level_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_level: Mapped[str | None] = mapped_column(String(10))  # None: first import
    new_level: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(500))
    # The deciding document (a province decision "Quyết định số 1234/QĐ-UBND ngày …"), when
    # an admin changed the level in the console.
    decision_no: Mapped[str | None] = mapped_column(String(100))
    decision_date: Mapped[date | None] = mapped_column(Date)

    procedure: Mapped[Procedure] = relationship()


class ProcedureDraft(Base):
    """An admin's unsaved changes to a procedure (the form builder's working copy): edited
    step by step, previewed, then saved as a new version or discarded. One per procedure."""

    __tablename__ = "procedure_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id"), unique=True)
    data: Mapped[dict] = mapped_column(JSONType)
    # The version the draft started from: a draft older than the current version is stale.
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("procedure_version.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    procedure: Mapped[Procedure] = relationship()
