"""Computed statistics kept in the database (services/stats/cache.py): one row per filter,
valid while the data version it was computed for is current and it is younger than the TTL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from district_portal.models.base import Base
from district_portal.models.types import JSONType, UTCDateTime


class StatsCacheEntry(Base):
    """The figures for one period, office ("" for every office) and target, as computed at
    `computed_at` (the "as of" time shown) for the data version `data_version`."""

    __tablename__ = "stats_cache"
    __table_args__ = (UniqueConstraint("period_start", "period_end", "office_code", "target",
                                       name="uq_stats_cache_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    office_code: Mapped[str] = mapped_column(String(40))  # "": every office
    target: Mapped[str] = mapped_column(String(20))  # the full-online target, as text
    data_version: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    data: Mapped[dict] = mapped_column(JSONType)
