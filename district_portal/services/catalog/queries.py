"""Read-only catalogue queries that several views share: search, lookup, counts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from district_portal.models import Dossier, DossierStatus, Office, OnlineLevel, Procedure
from district_portal.models.catalog import procedure_office
from district_portal.text import fold

MAX_QUERY = 200  # characters of a search query that are used


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class ProcedureFilter:
    q: str = ""
    field: str = ""
    level: str = ""
    office: str = ""  # agency code


def search_procedures(session: Session, flt: ProcedureFilter, page: int = 1,
                      per_page: int = 20) -> tuple[list[Procedure], int]:
    """Published procedures matching the filter (diacritics and case ignored) and the total."""
    stmt = select(Procedure).where(Procedure.published.is_(True))
    for word in fold(flt.q[:MAX_QUERY]).split()[:10]:
        stmt = stmt.where(Procedure.search_text.like(f"%{_like_escape(word)}%", escape="\\"))
    if flt.field:
        stmt = stmt.where(Procedure.field == flt.field)
    if flt.level in {lvl.value for lvl in OnlineLevel}:
        stmt = stmt.where(Procedure.online_level == flt.level)
    if flt.office:
        stmt = stmt.where(Procedure.offices.any(Office.agency_code == flt.office))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(Procedure.name, Procedure.code).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{2,31}")  # as in catalog.schema.json


def published_procedure(session: Session, code: str) -> Procedure | None:
    if not _CODE.fullmatch(code):  # no such code can exist (and NUL breaks PostgreSQL)
        return None
    return session.scalar(
        select(Procedure)
        .where(Procedure.code == code, Procedure.published.is_(True))
        .options(selectinload(Procedure.current_version))
    )


def list_fields(session: Session) -> list[str]:
    return list(session.scalars(
        select(Procedure.field).where(Procedure.published.is_(True)).distinct()
        .order_by(Procedure.field)
    ))


def receiving_offices(session: Session) -> list[Office]:
    return list(session.scalars(
        select(Office).where(Office.id.in_(
            select(procedure_office.c.office_id).join(
                Procedure, Procedure.id == procedure_office.c.procedure_id)
            .where(Procedure.published.is_(True))
        )).order_by(Office.name)
    ))


def count_by_level(session: Session) -> dict[str, int]:
    """Published procedures by online level, computed now (never typed in)."""
    counts = {lvl.value: 0 for lvl in OnlineLevel}
    rows = session.execute(
        select(Procedure.online_level, func.count()).where(Procedure.published.is_(True))
        .group_by(Procedure.online_level)
    )
    for level, n in rows:
        counts[level] = n
    return counts


def most_used(session: Session, limit: int = 5) -> list[Procedure]:
    """Published procedures with the most filed (non-draft) dossiers; ties by name."""
    filed = (
        select(Dossier.procedure_id, func.count().label("n"))
        .where(Dossier.status != DossierStatus.DRAFT)
        .group_by(Dossier.procedure_id).subquery()
    )
    stmt = (
        select(Procedure).outerjoin(filed, filed.c.procedure_id == Procedure.id)
        .where(Procedure.published.is_(True))
        .order_by(func.coalesce(filed.c.n, 0).desc(), Procedure.name).limit(limit)
    )
    return list(session.scalars(stmt))
