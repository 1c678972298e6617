"""The online-level changes of a period, with the documents that decided them: what the
statistics page lists under the procedures by level, so a level raised by a province decision
is seen with its number and date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.models import Procedure, ProcedureLevelChange
from district_portal.models.catalog import procedure_office
from district_portal.services.stats.periods import Period

MAX_ROWS = 50


@dataclass(frozen=True)
class LevelChangeRow:
    code: str
    name: str
    old_level: str
    new_level: str
    decision_no: str | None
    decision_date: date | None
    changed_at: datetime


def level_changes(session: Session, period: Period, office_ids: list[int] | None = None,
                  limit: int = MAX_ROWS) -> list[LevelChangeRow]:
    """Changes of a published procedure's level within `period` (newest first), received by
    one of `office_ids` if given; the first level a procedure was recorded with is no change."""
    lo, hi = period.bounds()
    stmt = (select(ProcedureLevelChange, Procedure)
            .join(Procedure, Procedure.id == ProcedureLevelChange.procedure_id)
            .where(Procedure.published.is_(True), ProcedureLevelChange.old_level.is_not(None),
                   ProcedureLevelChange.changed_at >= lo, ProcedureLevelChange.changed_at < hi))
    if office_ids is not None:
        stmt = stmt.where(Procedure.id.in_(select(procedure_office.c.procedure_id).where(
            procedure_office.c.office_id.in_(office_ids))))
    rows = session.execute(stmt.order_by(ProcedureLevelChange.changed_at.desc(),
                                         ProcedureLevelChange.id.desc()).limit(limit))
    return [LevelChangeRow(p.code, p.name, c.old_level, c.new_level, c.decision_no,
                           c.decision_date, c.changed_at) for c, p in rows]
