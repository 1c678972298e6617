"""Read-only catalogue queries that several views share: search, lookup, counts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, selectinload

from district_portal.collation import sorted_vi
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


# Words people add around what they need ("làm", "xin", "cho tôi", "thủ tục"): they say
# nothing about which procedure is meant, so they neither count nor block a match.
FILLER_WORDS = frozenset({
    "lam", "xin", "cho", "toi", "muon", "can", "giup", "minh", "em", "voi", "nhu", "the",
    "nao", "de", "o", "dau", "thu", "tuc", "va", "cua", "gi", "a", "nhe", "oi",
})
MAX_WORDS = 10


def search_words(q: str) -> list[str]:
    """The folded words of a query that can tell procedures apart (filler words dropped,
    unless the query has nothing else)."""
    words = [w for w in fold(q[:MAX_QUERY]).split()[:MAX_WORDS] if any(c.isalnum() for c in w)]
    meaningful = [w for w in words if w not in FILLER_WORDS]
    return list(dict.fromkeys(meaningful or words))


def _word_score(word: str):
    """2 for a whole word of the procedure, 1 for a part of one or of the words run together
    ("khaisinh"), 0 otherwise. Words under three letters only count whole."""
    padded = literal(" ") + Procedure.search_text + literal(" ")
    whole = padded.like(f"% {_like_escape(word)} %", escape="\\")
    if len(word) < 3:
        return case((whole, 2), else_=0)
    pattern = f"%{_like_escape(word)}%"
    compact = func.replace(Procedure.search_text, " ", "")
    return case((whole, 2), (Procedure.search_text.like(pattern, escape="\\"), 1),
                (compact.like(pattern, escape="\\"), 1), else_=0)


def search_procedures(session: Session, flt: ProcedureFilter, page: int = 1,
                      per_page: int = 20) -> tuple[list[Procedure], int]:
    """Published procedures matching the filter (diacritics and case ignored) and the total.

    A procedure need not contain every word typed: those that match the most words are shown,
    whole-word matches first, so "lam giay khai sinh" and "khaisinh" find "Đăng ký khai sinh".
    """
    stmt = select(Procedure).where(Procedure.published.is_(True))
    if flt.field:
        stmt = stmt.where(Procedure.field == flt.field)
    if flt.level in {lvl.value for lvl in OnlineLevel}:
        stmt = stmt.where(Procedure.online_level == flt.level)
    if flt.office:
        chosen = session.scalar(select(Office.id).where(Office.agency_code == flt.office[:40]))
        stmt = stmt.where(Procedure.offices.any(Office.id.in_(
            routed_to(session, {chosen} if chosen else set()))))
    order = [Procedure.name, Procedure.code]
    words = search_words(flt.q)
    if words:
        scores = [_word_score(w) for w in words]
        matched = sum(case((s > 0, 1), else_=0) for s in scores)
        best = session.scalar(stmt.with_only_columns(func.max(matched)))
        if not best:
            return [], 0
        stmt = stmt.where(matched == best)
        order = [sum(scores).desc(), *order]
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page)
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
    """Fields (lĩnh vực) of the published procedures, in Vietnamese alphabetical order."""
    return sorted_vi(session.scalars(
        select(Procedure.field).where(Procedure.published.is_(True)).distinct()
    ))


def receiving_offices(session: Session) -> list[Office]:
    """Active offices receiving a published procedure (a deactivated office's successor in
    its place), in Vietnamese alphabetical order."""
    listed = session.scalars(
        select(Office).where(Office.id.in_(
            select(procedure_office.c.office_id).join(
                Procedure, Procedure.id == procedure_office.c.procedure_id)
            .where(Procedure.published.is_(True))
        ))
    )
    current = {o.id: o for o in (office.current() for office in listed) if o is not None}
    return sorted_vi(current.values(), key=lambda o: o.name)


def routed_to(session: Session, office_ids: set[int]) -> set[int]:
    """`office_ids` and the deactivated offices whose new dossiers go to one of them: the
    offices a procedure may list for these offices to receive it."""
    ids = set(office_ids)
    for office in session.scalars(select(Office).where(Office.active.is_(False),
                                                       Office.successor_id.is_not(None))):
        current = office.current()
        if current is not None and current.id in office_ids:
            ids.add(office.id)
    return ids


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


def office_subtree(session: Session, office: Office) -> list[int]:
    """The office and every office below it (the tree is small: one query per level)."""
    ids, frontier = [office.id], [office.id]
    while frontier:
        frontier = [i for i in session.scalars(select(Office.id).where(
            Office.parent_id.in_(frontier))) if i not in ids]
        ids.extend(frontier)
    return ids
