"""Changing the catalogue from the admin console: every change of a procedure's entry makes a
new ProcedureVersion (dossiers keep the version they were filed under), is validated exactly as
a catalogue file is (services/catalog/importer.py), and lands in the audit log.

The online level is not changed here: change_level (the procedures section) records the
deciding document in ProcedureLevelChange so statistics for past dates stay right."""

from __future__ import annotations

import copy

from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.models import Office, Procedure, ProcedureDraft, ProcedureVersion, User
from district_portal.models.types import utcnow
from district_portal.services.admin import audit
from district_portal.services.catalog.importer import FORMAT, search_key, validate_catalog
from district_portal.services.errors import ServiceError


class ProcedureEditError(ServiceError):
    """A procedure entry that would break the resident's form or the catalogue: `errors`
    lists every problem as the importer words it ('$.procedures[0].fields[1].key: ...')."""

    def __init__(self, errors: list[str], message=None):
        from flask_babel import lazy_gettext

        super().__init__(message or lazy_gettext("The procedure was not saved: %(num)d error(s).",
                                                 num=len(errors)))
        self.errors = errors


def entry_errors(session: Session, data: dict) -> list[str]:
    """Every reason `data` (one procedure's catalogue entry) cannot be saved; [] if it can."""
    known = set(session.scalars(select(Office.agency_code)))
    return validate_catalog({"format": FORMAT, "offices": [], "procedures": [data]}, known)


def working_copy(procedure: Procedure) -> dict:
    """A deep copy of the current entry, for an editor to change and hand to save_version."""
    return copy.deepcopy(procedure.current_version.data)


def save_version(session: Session, actor: User, procedure: Procedure, data: dict,
                 note: str = "") -> ProcedureVersion:
    """Save `data` as the procedure's new current version (nothing when it is unchanged).

    Refuses (ProcedureEditError, nothing written) an invalid entry, a changed code, and a
    changed online level (that goes through change_level with its deciding document)."""
    current = procedure.current_version
    if data.get("code") != procedure.code:
        raise ProcedureEditError([f"$.code: the code of {procedure.code!r} cannot change"])
    if current is not None and data.get("online_level") != current.data["online_level"]:
        raise ProcedureEditError(["$.online_level: change the level with its deciding document"])
    errors = entry_errors(session, data)
    if errors:
        raise ProcedureEditError(errors)
    if current is not None and current.data == data:
        return current
    version = new_version(session, procedure, data)
    audit.record(session, actor, "procedure.edit", "procedure", procedure.code,
                 before=current.data if current else None, after=data,
                 note=note or f"version {version.number}")
    return version


def new_version(session: Session, procedure: Procedure, data: dict) -> ProcedureVersion:
    """Add version n+1 with `data` (already validated) and point the procedure at it."""
    number = max((v.number for v in procedure.versions), default=0) + 1
    version = ProcedureVersion(procedure=procedure, number=number, data=copy.deepcopy(data))
    session.add(version)
    procedure.current_version = version
    procedure.name = data["name"]
    procedure.field = data["field"]
    procedure.online_level = data["online_level"]
    procedure.search_text = search_key(data)
    procedure.updated_at = utcnow()
    offices = {o.agency_code: o for o in session.scalars(
        select(Office).where(Office.agency_code.in_(data["offices"])))}
    procedure.offices = [offices[c] for c in data["offices"]]
    session.flush()
    return version


# --- drafts: the editors' working copy -------------------------------------------------------


def draft_row(session: Session, procedure: Procedure) -> ProcedureDraft | None:
    return session.scalar(select(ProcedureDraft).where(
        ProcedureDraft.procedure_id == procedure.id))


def draft_data(session: Session, procedure: Procedure) -> dict:
    """What the editors show and change: the draft if there is one, else a copy of the
    current version."""
    row = draft_row(session, procedure)
    return copy.deepcopy(row.data) if row is not None else working_copy(procedure)


def is_stale(session: Session, procedure: Procedure) -> bool:
    """Someone saved a new version after this draft was started."""
    row = draft_row(session, procedure)
    return row is not None and row.base_version_id != procedure.current_version_id


def store_draft(session: Session, actor: User, procedure: Procedure, data: dict) -> None:
    """Keep `data` as the draft (not validated: a draft may be half-built)."""
    row = draft_row(session, procedure)
    if row is None:
        row = ProcedureDraft(procedure=procedure, base_version_id=procedure.current_version_id)
        session.add(row)
    row.data = copy.deepcopy(data)
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    session.flush()


def discard_draft(session: Session, actor: User, procedure: Procedure) -> None:
    row = draft_row(session, procedure)
    if row is not None:
        audit.record(session, actor, "procedure.draft_discard", "procedure", procedure.code,
                     before=row.data)
        session.delete(row)
        session.flush()


def save_draft(session: Session, actor: User, procedure: Procedure,
               note: str = "") -> ProcedureVersion:
    """Validate the draft and make it the new current version; the draft is then gone.
    Refused (ProcedureEditError, draft kept) when invalid."""
    row = draft_row(session, procedure)
    if row is None:
        return procedure.current_version
    version = save_version(session, actor, procedure, row.data, note)
    session.delete(row)
    session.flush()
    return version
