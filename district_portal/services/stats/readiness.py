"""The road to fully online: what each partly-online procedure lacks, read from its current
catalogue version, ordered by how many dossiers it gets (the shortest road to the target)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from district_portal.models import Dossier, DossierStatus, Office, OnlineLevel, Procedure
from district_portal.models.catalog import procedure_office
from district_portal.services.stats.catalogue import LevelCounts, level_counts
from district_portal.services.stats.periods import office_subtree
from district_portal.text import fold

# Folded (no diacritics, lower case) phrases of the handbook steps and result that say the
# applicant must come in person, or that the result can leave the office without them.
IN_PERSON = ("co mat", "mang ban chinh", "xuat trinh", "doi chieu", "den bo phan mot cua",
             "tai bo phan mot cua", "den ubnd", "tai ubnd", "truc tiep")
REMOTE_RESULT = ("ban dien tu", "buu dien", "buu chinh", "truc tuyen", "qua mang")
ONLINE_PAYMENT = ("truc tuyen", "online")


@dataclass
class Lack:
    """One thing a procedure lacks: `kind` is payment, delivery, in_person or template;
    `steps` are the handbook steps concerned (in_person)."""

    kind: str
    steps: list[str] = field(default_factory=list)


@dataclass
class ReadinessRow:
    code: str
    name: str
    fee: int
    dossiers: int
    lacks: list[Lack]


def lacks_of(data: dict) -> list[Lack]:
    """What a procedure version's data lacks to be fully online (DESIGN.md §1: filing, fee
    and result online or by post)."""
    steps = data.get("steps", [])
    result = data.get("result", {})
    texts = [fold(s) for s in steps]
    out = []
    fee_texts = [t for t in texts + [fold(data.get("fee_note") or "")]
                 if "phi" in t.split() or "le phi" in t]
    if data.get("fee", 0) > 0 and not any(p in t for t in fee_texts for p in ONLINE_PAYMENT):
        out.append(Lack("payment"))
    # The result's name, and the steps that speak of receiving it.
    remote = [fold(result.get("name", ""))] + [t for t in texts
                                               if "nhan" in t.split() or "ket qua" in t]
    if not result.get("template") and not any(p in t for t in remote for p in REMOTE_RESULT):
        out.append(Lack("delivery"))
    in_person = [s for s, t in zip(steps, texts, strict=True) if any(p in t for p in IN_PERSON)]
    if in_person:
        out.append(Lack("in_person", in_person))
    if not result.get("template"):
        out.append(Lack("template"))
    return out


def readiness(session: Session, office_ids: list[int] | None = None) -> list[ReadinessRow]:
    """Every published, partly-online procedure (received by one of `office_ids`, if given)
    with what it lacks, the most filed first (drafts never count)."""
    filed = (select(Dossier.procedure_id, func.count().label("n"))
             .where(Dossier.status != DossierStatus.DRAFT)
             .group_by(Dossier.procedure_id).subquery())
    stmt = (select(Procedure, func.coalesce(filed.c.n, 0))
            .outerjoin(filed, filed.c.procedure_id == Procedure.id)
            .where(Procedure.published.is_(True),
                   Procedure.online_level == OnlineLevel.PARTIAL.value)
            .options(selectinload(Procedure.current_version)))
    if office_ids is not None:
        stmt = stmt.where(Procedure.id.in_(select(procedure_office.c.procedure_id).where(
            procedure_office.c.office_id.in_(office_ids))))
    rows = [ReadinessRow(p.code, p.name, p.current_version.data.get("fee", 0), int(n),
                         lacks_of(p.current_version.data))
            for p, n in session.execute(stmt)]
    return sorted(rows, key=lambda r: (-r.dossiers, r.name, r.code))


@dataclass
class Report:
    office: Office | None
    levels: LevelCounts
    target: float
    rows: list[ReadinessRow]

    @property
    def needed(self) -> int:
        return self.levels.gap(self.target)


def report(session: Session, office: Office | None) -> Report:
    """Today's catalogue for `office` and the offices below it (None: all), the procedures
    still needed to reach the configured target, and every partly-online procedure's lacks."""
    from district_portal.services.stats import target_share

    ids = office_subtree(session, office) if office is not None else None
    return Report(office, level_counts(session, ids), target_share(), readiness(session, ids))
