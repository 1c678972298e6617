"""Procedures by online level, now or as of any past instant, and the road to the target."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from district_portal.models import OnlineLevel, Procedure, ProcedureLevelChange
from district_portal.models.catalog import procedure_office

LEVELS = tuple(lvl.value for lvl in OnlineLevel)  # full, partial, none


@dataclass(frozen=True)
class LevelCounts:
    """Published procedures by online level (toàn trình = "mức độ 4", một phần = "mức độ 3")."""

    full: int = 0
    partial: int = 0
    none: int = 0

    @property
    def total(self) -> int:
        return self.full + self.partial + self.none

    @property
    def online(self) -> int:
        """Procedures offered online at all: the denominator of the fully-online share."""
        return self.full + self.partial

    @property
    def full_share(self) -> float | None:
        """full ÷ (full + partial); None when nothing is offered online."""
        return self.full / self.online if self.online else None

    def gap(self, target: float) -> int:
        """The smallest number of partial procedures that must become full for the share to
        reach `target` (0 when it is reached; exact, no floating-point rounding)."""
        if not self.online:
            return 0
        needed = Fraction(str(target)) * self.online - self.full
        return max(0, min(self.partial, math.ceil(needed)))

    def to_dict(self) -> dict:
        return {"full": self.full, "partial": self.partial, "none": self.none,
                "total": self.total}


def _scoped(stmt, proc_id_col, office_ids: list[int] | None):
    if office_ids is None:
        return stmt
    return stmt.where(proc_id_col.in_(
        select(procedure_office.c.procedure_id).where(procedure_office.c.office_id.in_(office_ids))
    ))


def level_counts(session: Session, office_ids: list[int] | None = None) -> LevelCounts:
    """Published procedures by their current level (received by one of `office_ids`, if
    given)."""
    stmt = select(Procedure.online_level, func.count()).where(Procedure.published.is_(True))
    stmt = _scoped(stmt, Procedure.id, office_ids).group_by(Procedure.online_level)
    return LevelCounts(**{lvl: n for lvl, n in session.execute(stmt) if lvl in LEVELS})


def level_counts_as_of(session: Session, when: datetime,
                       office_ids: list[int] | None = None) -> LevelCounts:
    """Procedures by online level as they stood at `when`, rebuilt from ProcedureLevelChange.

    A procedure counts from its first recorded level (the first import records old_level
    None) with the level of its last change at or before `when`; one that did not exist yet
    does not count. So a past date has one answer, whatever changed since. Publication is not
    historised: procedures unpublished today are left out of every date.
    """
    later = aliased(ProcedureLevelChange)
    last_change = (
        select(ProcedureLevelChange.procedure_id, ProcedureLevelChange.new_level)
        .join(Procedure, Procedure.id == ProcedureLevelChange.procedure_id)
        .where(Procedure.published.is_(True), ProcedureLevelChange.changed_at <= when)
        .where(~select(later.id).where(
            later.procedure_id == ProcedureLevelChange.procedure_id,
            later.changed_at <= when,
            # the latest change wins; on equal times, the one recorded last
            (later.changed_at > ProcedureLevelChange.changed_at) | and_(
                later.changed_at == ProcedureLevelChange.changed_at,
                later.id > ProcedureLevelChange.id),
        ).exists())
    )
    last_change = _scoped(last_change, ProcedureLevelChange.procedure_id, office_ids).subquery()
    stmt = select(last_change.c.new_level, func.count()).group_by(last_change.c.new_level)
    return LevelCounts(**{lvl: n for lvl, n in session.execute(stmt) if lvl in LEVELS})
