"""The road to fully online: what each partly-online procedure lacks, read from its current
catalogue version, ordered by how many dossiers it gets (the shortest road to the target)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from district_portal.models import Dossier, DossierStatus, Office, OnlineLevel, Procedure
from district_portal.models.catalog import procedure_office
from district_portal.services.catalog.fees import headline_amount
from district_portal.services.catalog.readiness import readiness as catalog_readiness
from district_portal.services.catalog.readiness import step_text
from district_portal.services.stats.catalogue import LevelCounts, level_counts
from district_portal.services.stats.periods import office_subtree


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
    """What a procedure version's data lacks to be fully online, from the catalogue's own
    readiness rule (services/catalog/readiness.py, the one the importer applies): online
    payment of its fee, a result that reaches the resident online or by post, steps that need
    the resident in person; and, as the shortest way to an online result, a result template."""
    reasons = catalog_readiness(data)
    out = []
    if any(r.path.startswith("fee") for r in reasons):
        out.append(Lack("payment"))
    if any(r.path == "result" for r in reasons):
        out.append(Lack("delivery"))
    steps = data.get("steps", [])
    in_person = [step_text(steps[int(m.group(1))]) for r in reasons
                 if (m := re.fullmatch(r"steps\[(\d+)\]\.in_person", r.path))]
    if in_person:
        out.append(Lack("in_person", in_person))
    if not (data.get("result") or {}).get("template"):
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
    rows = [ReadinessRow(p.code, p.name, headline_amount(p.current_version.data), int(n),
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
