"""Small factories on the demo catalogue that conftest seeds: accounts, dossiers written
directly (`create_dossier`) or filed through the real services (`create_filed_dossier`), and
their events. HTTP-side helpers (pages, logins, CSRF tokens) are in tests/helpers.py."""

from __future__ import annotations

import io
import itertools
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from district_portal.codes import format_dossier_code, new_ref
from district_portal.forms.dossier import DossierForm
from district_portal.models import (
    Attachment,
    Dossier,
    DossierEvent,
    DossierStatus,
    Office,
    Procedure,
    User,
)
from district_portal.services.accounts import users
from district_portal.services.catalog.fees import quote
from district_portal.services.dossiers import filing
from district_portal.services.dossiers.workflow import Action, perform
from district_portal.text import LOCAL_TZ

S = DossierStatus
OFFICE = DEMO_OFFICE = "000.00.04.T25"  # Phường Hòa Bình: every demo staff account works here
OTHER_OFFICE = "000.00.05.T25"  # another commune of Phú Thọ
DEMO_PROCEDURE = BIRTH = "1.001193"  # Đăng ký khai sinh: three receiving offices
MARRIAGE = "1.000894"  # Đăng ký kết hôn: 5 working days, no fee, no mandatory document
MARITAL = "1.004873"  # Xác nhận tình trạng hôn nhân: 3 working days, fee 15.000 đồng
PHU_THO = 25
HOA_BINH_WARD = 4795
def pdf_bytes(extra: bytes = b"") -> bytes:
    """A small well-formed PDF (one blank page); `extra` goes into an unused stream, so
    different extras make different files of any size."""
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
               b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
               b"<</Length %d>>stream\n" % len(extra) + extra + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


TINY_PDF = pdf_bytes()
# Tuesday 3 March 2026, 09:15 in Hà Nội time.
SUBMITTED_AT = datetime(2026, 3, 3, 9, 15, tzinfo=LOCAL_TZ).astimezone(UTC)

_numbers = itertools.count(1)


# --- lookups and accounts ------------------------------------------------------------------------


def user(session, email: str) -> User:
    """The account with this e-mail (the demo accounts: resident@, clerk@, officer@, leader@,
    admin@demo.test)."""
    return session.scalar(select(User).where(User.email == email))


def office(session, agency_code: str = DEMO_OFFICE) -> Office:
    return session.scalar(select(Office).where(Office.agency_code == agency_code))


def procedure(session, code: str = MARRIAGE) -> Procedure:
    return session.scalar(select(Procedure).where(Procedure.code == code))


def staff(session, role: str = "clerk", office: str = OTHER_OFFICE, email=None) -> User:
    """A new staff account of `office` (another commune by default)."""
    return users.create_user(session, email=email or f"{role}-{secrets.token_hex(4)}@x.test",
                             password="pw-123456789", roles=[role], office_code=office,
                             full_name=f"Cán bộ {role}")


def other_clerk(session) -> User:
    """A clerk of another commune, who must not see the demo office's dossiers."""
    return users.create_user(session, email="clerk05@demo.test", password="x" * 14,
                             roles=["clerk"], full_name="Cán Bộ Xã Khác",
                             office_code=OTHER_OFFICE)


def other_resident(session) -> User:
    """A resident who is not the applicant of the demo dossiers."""
    return users.create_user(session, email="other@demo.test", password="x" * 14,
                             roles=["citizen"], full_name="Người Khác")


# --- dossiers written directly -------------------------------------------------------------------


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


def accepted_dossier(session, **overrides) -> Dossier:
    """A dossier of resident@demo.test, accepted by the clerk through the workflow."""
    resident = user(session, "resident@demo.test")
    d = create_dossier(session, applicant_user_id=resident.id, **overrides)
    perform(session, d, Action.ACCEPT, user(session, "clerk@demo.test"))
    session.commit()
    return d


# --- dossiers filed through the services ---------------------------------------------------------


def staff_applicant_answers(name="Nguyễn Văn An", phone="0912 345 678", office=OFFICE) -> dict:
    """The applicant section as a browser posts it (counter intake and the services)."""
    return {
        "applicant_type": "person", "applicant_name": name,
        "applicant_id_number": "001234567890", "applicant_phone": phone,
        "applicant_email": "", "applicant_commune.province": str(PHU_THO),
        "applicant_commune": str(HOA_BINH_WARD), "applicant_street": "Số 1, tổ 2",
        "applicant_office": office,
    }


ANSWERS = {
    MARRIAGE: {"husband_name": "Nguyễn Văn An", "husband_id_number": "001234567890",
               "wife_name": "Trần Thị Bình", "wife_id_number": "001234567891",
               "contact_phone": "0912 345 678"},
    MARITAL: {"full_name": "Nguyễn Văn An", "birth_date": "1990-01-02",
              "id_number": "001234567890", "marital_status": None, "purpose": None},
}


def pdf_upload(name="giay-to.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(TINY_PDF), filename=name,
                       content_type="application/pdf")


def fill(session, dossier: Dossier, answers: dict) -> DossierForm:
    """Save `answers` (raw text, as a browser posts them) on the draft and return the form."""
    form = DossierForm.from_formdata(filing.form_specs(dossier), MultiDict(answers))
    if dossier.channel == "counter":
        filing.save_counter_answers(session, dossier, form)
    else:
        filing.save_answers(session, dossier, form)
    return form


_SAMPLE_BY_TYPE = {"id_number": "001234567890", "number": "1", "date": "2000-01-01",
                   "phone": "0912 345 678"}


def _procedure_answers(proc: Procedure) -> dict:
    out = {}
    for f in proc.current_version.data.get("fields", []):
        preset = ANSWERS.get(proc.code, {}).get(f["key"])
        if preset is not None:
            out[f["key"]] = preset
        elif f["type"] in ("select", "radio"):
            out[f["key"]] = f["options"][0]["value"]
        elif f["type"] != "checkbox":
            out[f["key"]] = _SAMPLE_BY_TYPE.get(f["type"], "Nội dung")
    return out


def create_filed_dossier(session, *, status=S.SUBMITTED, code: str = MARRIAGE,
                         name: str = "Nguyễn Văn An", phone: str = "0912 345 678",
                         office: str = OFFICE, applicant: User | None = None,
                         now: datetime | None = None) -> Dossier:
    """A dossier filed online through the real services (draft → answers → documents →
    submit), then moved to `status` through the workflow by the demo staff."""
    applicant = applicant or user(session, "resident@demo.test")
    proc = procedure(session, code)
    draft = filing.start_draft(session, applicant, proc)
    form = fill(session, draft, {**staff_applicant_answers(name, phone, office),
                                 **_procedure_answers(proc)})
    assert form.validate(), form.errors
    for doc in proc.current_version.data.get("documents", []):
        filing.add_attachment(session, draft, doc["key"], pdf_upload(), applicant)
    filing.submit(session, draft, applicant, secrets.token_hex(8))
    move_to(session, draft, status, now=now)
    return draft


# How the demo staff take a submitted dossier to each status after accepting it.
_AFTER_ACCEPT = {
    S.IN_PROGRESS: [("assign", "clerk@demo.test", {"officer": "officer@demo.test"})],
    S.SUPPLEMENT_REQUESTED: [("request_supplement", "clerk@demo.test",
                              {"reason": "Bổ sung ảnh"})],
    S.PAYMENT_REQUESTED: [("request_payment", "clerk@demo.test", {"amount": 20000})],
    S.STOPPED: [("stop", "leader@demo.test", {"reason": "Dừng"})],
    S.DONE: [("complete", "leader@demo.test", {"result": {"kind": "scan", "sha256": "0"}})],
    S.RETURNED: [("complete", "leader@demo.test", {"result": {"kind": "scan", "sha256": "0"}}),
                 ("return_result", "clerk@demo.test", {"delivery": {"way": "pickup"}})],
}


def move_to(session, dossier: Dossier, status, now=None) -> None:
    """Walk a submitted dossier to `status` with the demo accounts of its office."""
    kw = {"now": now} if now else {}
    if status == S.SUBMITTED:
        return
    if status == S.NOT_ACCEPTED:
        perform(session, dossier, "refuse", user(session, "clerk@demo.test"),
                reason="Thiếu giấy tờ", **kw)
        return
    if status == S.WITHDRAWN:
        perform(session, dossier, "withdraw", dossier.applicant_user, **kw)
        return
    perform(session, dossier, "accept", user(session, "clerk@demo.test"), **kw)
    if status == S.ACCEPTED or dossier.status == status:
        return  # a procedure with a fee goes on to payment_requested on acceptance
    for action, actor, inputs in _AFTER_ACCEPT.get(status, []):
        if "officer" in inputs:
            inputs = {**inputs, "officer": user(session, inputs["officer"])}
        if action == "complete":
            add_prepared_result(session, dossier, user(session, actor))
        perform(session, dossier, action, user(session, actor), **inputs, **kw)
    assert dossier.status == status, (dossier.status, status)


def add_prepared_result(session, dossier: Dossier, preparer: User) -> Attachment:
    """A prepared result row (what documents.issuing stores), without a file behind it: the
    workflow's `complete` needs one."""
    attachment = Attachment(dossier=dossier, document_key="result-scan", kind="result",
                            original_name=f"ket-qua-{dossier.code}.pdf", stored_name="0",
                            content_type="application/pdf", size=len(TINY_PDF),
                            uploader_id=preparer.id)
    session.add(attachment)
    session.flush()
    return attachment
