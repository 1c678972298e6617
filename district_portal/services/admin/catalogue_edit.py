"""The procedures section of the admin console (issue 13): list and search the catalogue,
create a procedure, edit its top-level properties through the draft, publish and unpublish,
and change its online level with the deciding document.

Every change is audited in the caller's transaction; nothing here commits. Refusals raise
ProcedureInputError (a message per form field) or ProcedureEditError (the importer's list)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from district_portal import access
from district_portal.collation import sorted_vi
from district_portal.models import (
    Office,
    OnlineLevel,
    Procedure,
    ProcedureDraft,
    ProcedureLevelChange,
    User,
)
from district_portal.models.types import utcnow
from district_portal.services.admin import audit
from district_portal.services.admin.procedures import (
    ProcedureEditError,
    draft_data,
    draft_row,
    entry_errors,
    new_version,
    store_draft,
)
from district_portal.services.catalog.importer import search_key
from district_portal.services.catalog.queries import search_words
from district_portal.services.catalog.readiness import readiness
from district_portal.services.errors import ServiceError

PER_PAGE = 20
CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{2,31}")  # as in catalog.schema.json
# The handbook step a new procedure starts with (catalogue data, in Vietnamese like the rest
# of the catalogue); the form builder replaces it.
FIRST_STEP = "Nộp hồ sơ tại cơ quan tiếp nhận hoặc trực tuyến trên Cổng dịch vụ công."
# The properties this section edits (the form builder edits the rest).
PROPERTIES = ("name", "field", "level", "processing_time", "fee_note", "applicants", "offices",
              "legal_basis")


class ProcedureInputError(ServiceError):
    """Input refused field by field: `fields` maps a form field name to its message."""

    def __init__(self, fields: dict[str, object]):
        super().__init__(_l("Check the fields marked below."))
        self.fields = fields


# --- the list ---------------------------------------------------------------------------------


@dataclass
class AdminFilter:
    q: str = ""
    field: str = ""
    level: str = ""
    published: str = ""  # "", "yes", "no"
    office: str = ""  # agency code


@dataclass
class ProcedureRow:
    procedure: Procedure
    version: int
    has_draft: bool


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _in_scope(actor: User):
    return Procedure.offices.any(Office.id.in_(access.administered_office_ids(actor)))


def search(session: Session, actor: User, flt: AdminFilter, page: int = 1,
           per_page: int = PER_PAGE) -> tuple[list[ProcedureRow], int]:
    """The procedures `actor` administers (published or not) matching the filter, by name;
    every word typed must be in the name, code, field or result (accents and case ignored,
    as in the public search). Returns one page of rows and the total."""
    if any("\x00" in v for v in (flt.field, flt.level, flt.published, flt.office)):
        return [], 0  # no such value exists (and PostgreSQL refuses NUL in text)
    stmt = select(Procedure).where(_in_scope(actor))
    if flt.field:
        stmt = stmt.where(Procedure.field == flt.field)
    if flt.level in {lvl.value for lvl in OnlineLevel}:
        stmt = stmt.where(Procedure.online_level == flt.level)
    if flt.published in ("yes", "no"):
        stmt = stmt.where(Procedure.published.is_(flt.published == "yes"))
    if flt.office:
        stmt = stmt.where(Procedure.offices.any(Office.agency_code == flt.office))
    for word in search_words(flt.q):
        stmt = stmt.where(Procedure.search_text.like(_like(word), escape="\\"))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    procs = session.scalars(stmt.options(selectinload(Procedure.current_version))
                            .order_by(Procedure.name, Procedure.code)
                            .offset((max(page, 1) - 1) * per_page).limit(per_page)).all()
    drafts = set(session.scalars(select(ProcedureDraft.procedure_id).where(
        ProcedureDraft.procedure_id.in_([p.id for p in procs])))) if procs else set()
    return [ProcedureRow(p, p.current_version.number if p.current_version else 0,
                         p.id in drafts) for p in procs], total


def fields_of(session: Session, actor: User) -> list[str]:
    """The fields (lĩnh vực) of the procedures `actor` administers."""
    return sorted_vi(session.scalars(select(Procedure.field).where(_in_scope(actor)).distinct()))


def administered_offices(session: Session, actor: User) -> list[Office]:
    ids = access.administered_office_ids(actor)
    return list(session.scalars(select(Office).where(Office.id.in_(ids))
                                .order_by(Office.name))) if ids else []


def find(session: Session, actor: User, code: str) -> Procedure | None:
    """The procedure `actor` may edit, or None (the view answers 404)."""
    if not CODE.fullmatch(code or ""):  # no such code can exist (and NUL breaks PostgreSQL)
        return None
    proc = session.scalar(select(Procedure).where(Procedure.code == code))
    return proc if proc is not None and access.can_edit_procedure(actor, proc) else None


# --- create and edit --------------------------------------------------------------------------


@dataclass
class Properties:
    """The top-level properties of an entry as an admin types them."""

    name: str = ""
    field: str = ""
    level: str = "commune"
    processing_amount: int = 0
    processing_unit: str = "working_days"
    fee_note: str = ""
    applicants: list[str] = default(default_factory=lambda: ["person", "organisation"])
    offices: list[str] = default(default_factory=list)
    legal_basis: list[str] = default(default_factory=list)

    @classmethod
    def of(cls, data: dict) -> Properties:
        time = data.get("processing_time") or {}
        return cls(name=data.get("name", ""), field=data.get("field", ""),
                   level=data.get("level", "commune"), processing_amount=time.get("amount", 0),
                   processing_unit=time.get("unit", "working_days"),
                   fee_note=data.get("fee_note", ""),
                   applicants=list(data.get("applicants", ["person", "organisation"])),
                   offices=list(data.get("offices", [])),
                   legal_basis=list(data.get("legal_basis", [])))

    def apply(self, data: dict) -> dict:
        """`data` with these properties (empty optional ones dropped)."""
        out = copy.deepcopy(data)
        out.update(name=self.name, field=self.field, level=self.level,
                   processing_time={"amount": self.processing_amount,
                                    "unit": self.processing_unit},
                   applicants=list(self.applicants), offices=list(self.offices))
        for key, value in (("fee_note", self.fee_note), ("legal_basis", self.legal_basis)):
            if value:
                out[key] = copy.deepcopy(value)
            else:
                out.pop(key, None)
        return out


def office_errors(session: Session, actor: User, codes: list[str]) -> dict[str, object]:
    """{"offices": message} when a code is unknown or of an office `actor` does not
    administer; {} when every office is theirs."""
    if not codes:
        return {"offices": _l("Choose at least one receiving office.")}
    found = {o.agency_code: o for o in session.scalars(
        select(Office).where(Office.agency_code.in_(codes)))}
    ids = access.administered_office_ids(actor)
    for code in codes:
        if code not in found:
            return {"offices": _l("There is no office %(code)s.", code=code)}
        if found[code].id not in ids:
            return {"offices": _l("You do not administer the office %(code)s.", code=code)}
    return {}


def create_procedure(session: Session, actor: User, code: str, props: Properties,
                     online_level: str, fee: int, result_name: str) -> Procedure:
    """A new, unpublished procedure at version 1 with a minimal valid entry (one handbook
    step, no fields or documents, the result's name): the form builder fills in the rest.
    Refused (ProcedureInputError, nothing written) for a code in use, an office that is not
    the admin's, or "full" when the entry cannot be fully online."""
    errors = office_errors(session, actor, props.offices)
    if session.scalar(select(Procedure.id).where(func.lower(Procedure.code) == code.lower())):
        errors["code"] = _l("A procedure with the code %(code)s exists already.", code=code)
    data = props.apply({"code": code, "online_level": online_level, "fee": fee,
                        "steps": [FIRST_STEP], "documents": [], "fields": [],
                        "result": {"name": result_name}})
    if online_level == OnlineLevel.FULL:
        reasons = readiness(data)
        if reasons:
            errors["online_level"] = not_ready_message(reasons)
    if errors:
        raise ProcedureInputError(errors)
    problems = entry_errors(session, data)
    if problems:
        raise ProcedureEditError(problems)
    proc = Procedure(code=code, published=False, name=data["name"], field=data["field"],
                     online_level=online_level, search_text=search_key(data))
    session.add(proc)
    new_version(session, proc, data)
    session.add(ProcedureLevelChange(procedure=proc, old_level=None, new_level=online_level,
                                     user_id=actor.id,
                                     reason=str(_l("Created in the admin console"))))
    audit.record(session, actor, "procedure.create", "procedure", code, after=data,
                 note="version 1, unpublished")
    session.flush()
    return proc


def not_ready_message(reasons) -> str:
    return str(_l("Not ready to be fully online: %(reasons)s.",
                  reasons="; ".join(str(r.message) for r in reasons)))


def store_properties(session: Session, actor: User, proc: Procedure,
                     props: Properties) -> dict:
    """Put `props` into the procedure's draft (created from the current version when there
    is none); refused (ProcedureInputError) for offices that are not the admin's."""
    errors = office_errors(session, actor, props.offices)
    if errors:
        raise ProcedureInputError(errors)
    data = props.apply(draft_data(session, proc))
    store_draft(session, actor, proc, data)
    return data


# --- publication and level --------------------------------------------------------------------


def set_published(session: Session, actor: User, proc: Procedure, published: bool) -> None:
    """Publish or withdraw the procedure from the public pages (at once: the page cache keys
    on the site version, which this change bumps)."""
    if proc.published == published:
        return
    proc.published = published
    proc.updated_at = utcnow()
    audit.record(session, actor, "procedure.publish" if published else "procedure.unpublish",
                 "procedure", proc.code, before={"published": not published},
                 after={"published": published})
    session.flush()


@dataclass
class LevelChange:
    new_level: str
    decision_no: str
    decision_date: date
    reason: str


def change_level(session: Session, actor: User, proc: Procedure,
                 change: LevelChange) -> ProcedureLevelChange:
    """Set the online level as decided by a document: a new version with the new level and a
    ProcedureLevelChange row (who, when, the document, the reason) in one transaction, so
    statistics for past dates stay right. A draft in progress follows the new level.
    Refused (ProcedureInputError) when the level is unchanged, or "full" is not ready."""
    old = proc.current_version.data
    if change.new_level == old["online_level"]:
        raise ProcedureInputError({"new_level": _l("The procedure is at this level already.")})
    data = {**copy.deepcopy(old), "online_level": change.new_level}
    if change.new_level == OnlineLevel.FULL:
        reasons = readiness(data)
        if reasons:
            raise ProcedureInputError({"new_level": not_ready_message(reasons)})
    version = new_version(session, proc, data)
    row = ProcedureLevelChange(
        procedure=proc, old_level=old["online_level"], new_level=change.new_level,
        user_id=actor.id, reason=change.reason[:500], decision_no=change.decision_no,
        decision_date=change.decision_date)
    session.add(row)
    draft = draft_row(session, proc)
    if draft is not None:
        draft.data = {**copy.deepcopy(draft.data), "online_level": change.new_level}
    audit.record(session, actor, "procedure.level", "procedure", proc.code,
                 before={"online_level": old["online_level"]},
                 after={"online_level": change.new_level, "decision_no": change.decision_no,
                        "decision_date": change.decision_date.isoformat()},
                 note=f"version {version.number}: {change.reason}"[:1000])
    session.flush()
    return row


def level_history(session: Session, proc: Procedure) -> list[ProcedureLevelChange]:
    return list(session.scalars(select(ProcedureLevelChange).where(
        ProcedureLevelChange.procedure_id == proc.id).order_by(
        ProcedureLevelChange.changed_at.desc(), ProcedureLevelChange.id.desc())))
