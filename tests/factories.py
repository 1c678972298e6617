"""Small factories for tests: dossiers and their events, on the demo catalogue from conftest."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from district_portal.models import Dossier, DossierEvent, DossierStatus, Office, Procedure, User
from district_portal.services.catalog.fees import quote
from district_portal.services.dossiers.codes import format_dossier_code, new_ref
from district_portal.text import LOCAL_TZ

S = DossierStatus
DEMO_OFFICE = "000.00.04.T25"
DEMO_PROCEDURE = "1.001193"
# Tuesday 3 March 2026, 09:15 in Hà Nội time.
SUBMITTED_AT = datetime(2026, 3, 3, 9, 15, tzinfo=LOCAL_TZ).astimezone(UTC)

_numbers = itertools.count(1)


def office(session, agency_code: str = DEMO_OFFICE) -> Office:
    return session.scalar(select(Office).where(Office.agency_code == agency_code))


def user(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def create_dossier(session, *, status: DossierStatus = S.SUBMITTED,
                   procedure_code: str = DEMO_PROCEDURE, office_code: str = DEMO_OFFICE,
                   **overrides) -> Dossier:
    """A submitted (or later) dossier filled directly, without the workflow.

    Accepted-or-later statuses get accepted_at and due_at; any column can be overridden.
    """
    procedure = session.scalar(select(Procedure).where(Procedure.code == procedure_code))
    version = procedure.current_version
    receiving = office(session, office_code)
    submitted_at = overrides.pop("submitted_at", SUBMITTED_AT)
    number = next(_numbers)
    values = dict(
        procedure=procedure, procedure_version=version,
        receiving_office=receiving, handling_office=receiving,
        code=format_dossier_code(receiving.agency_code,
                                 submitted_at.astimezone(LOCAL_TZ).date(), number),
        ref=new_ref(),
        applicant={"type": "person", "name": "Nguyễn Thị Hằng",
                   "id_number": "025190000123", "phone": "+84912345678",
                   "email": "hang@example.vn", "street": "Tổ 5",
                   "commune": 4795, "commune_label": "Phường Hòa Bình, Phú Thọ"},
        applicant_name_search="nguyen thi hang", applicant_phone="+84912345678",
        answers={"child_name": "Nguyễn Minh Khôi", "child_birth_date": "2026-02-20",
                 "child_sex": "nam", "child_birth_place": "Bệnh viện Đa khoa tỉnh Phú Thọ",
                 "child_ethnicity": "Kinh", "mother_name": "Nguyễn Thị Hằng",
                 "mother_id_number": "025190000123", "has_father": False},
        status=status, channel="online", submitted_at=submitted_at,
        intake_due_at=submitted_at + timedelta(days=1), delivery={"way": "online"},
    )
    if status not in (S.DRAFT, S.SUBMITTED, S.NOT_ACCEPTED, S.WITHDRAWN):
        values["accepted_at"] = submitted_at + timedelta(hours=1)
        values["due_at"] = submitted_at + timedelta(days=3)
    values.update(overrides)
    if "fee" not in values:  # as submission works it out
        values["fee"] = quote(version.data, values["answers"]).total
    dossier = Dossier(**values)
    session.add(dossier)
    session.flush()
    return dossier


def add_event(session, dossier: Dossier, action: str, *, actor: User | None = None,
              at: datetime | None = None, to_status: str | None = None, note: str | None = None,
              data: dict | None = None, from_office: Office | None = None,
              to_office: Office | None = None) -> DossierEvent:
    """Append an event as the workflow would have recorded it."""
    event = DossierEvent(
        dossier=dossier, action=action, actor=actor, at=at or dossier.submitted_at,
        from_status=str(dossier.status), to_status=to_status or str(dossier.status),
        from_office=from_office or dossier.handling_office, to_office=to_office, note=note,
        data=data or {},
    )
    session.add(event)
    session.flush()
    session.refresh(dossier, ["events"])
    return event
