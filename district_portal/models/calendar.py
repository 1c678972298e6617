"""Admin-entered calendar exceptions: extra days off and make-up working days."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from district_portal.models.base import Base


class CalendarDay(Base):
    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("office_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("office.id"))  # None: every office
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # "off" or "work" (make-up day)
    note: Mapped[str] = mapped_column(String(300), default="")
