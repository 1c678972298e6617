"""Admin-entered calendar exceptions: extra days off and make-up working days."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from district_portal.models.base import Base


class CalendarDay(Base):
    __tablename__ = "calendar_day"
    __table_args__ = (
        UniqueConstraint("office_id", "day"),
        # NULL (every office) escapes the constraint above, so every-office days get their
        # own partial unique index (SQLite and PostgreSQL both have them).
        Index("uq_calendar_day_every_office", "day", unique=True,
              sqlite_where=text("office_id IS NULL"), postgresql_where=text("office_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))  # None: every office
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # "off" or "work" (make-up day)
    note: Mapped[str] = mapped_column(String(300), default="")
