"""Small factories: dossiers made through the real filing services, staff accounts, logins,
and a client helper that posts with the page's CSRF token."""

from __future__ import annotations

import io
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict

from district_portal.forms.dossier import DossierForm
from district_portal.models import Attachment, Dossier, DossierStatus, Procedure, User
from district_portal.services.accounts import users
from district_portal.services.dossiers import filing
from district_portal.services.dossiers.workflow import perform

TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OFFICE = "000.00.04.T25"
OTHER_OFFICE = "000.00.05.T25"
MARRIAGE = "1.000894"  # Đăng ký kết hôn: 5 working days, no fee, no mandatory document
MARITAL = "1.004873"  # Xác nhận tình trạng hôn nhân: 3 working days, fee 15.000 đồng
PHU_THO = 25
HOA_BINH_WARD = 4795


def user(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def staff(session, role: str = "clerk", office: str = OTHER_OFFICE, email=None) -> User:
    """A staff account of `office` (another commune by default)."""
    return users.create_user(session, email=email or f"{role}-{secrets.token_hex(4)}@x.test",
                             password="pw-123456789", roles=[role], office_code=office,
                             full_name=f"Cán bộ {role}")


def procedure(session, code: str = MARRIAGE) -> Procedure:
    return session.scalar(select(Procedure).where(Procedure.code == code))


def applicant_answers(name="Nguyễn Văn An", phone="0912 345 678", office=OFFICE) -> dict:
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


def _procedure_answers(proc: Procedure) -> dict:
    out = {}
    for f in proc.current_version.data.get("fields", []):
        preset = ANSWERS.get(proc.code, {}).get(f["key"])
        if preset is not None:
            out[f["key"]] = preset
        elif f["type"] in ("select", "radio"):
            out[f["key"]] = f["options"][0]["value"]
        elif f["type"] == "id_number":
            out[f["key"]] = "001234567890"
        elif f["type"] == "number":
            out[f["key"]] = "1"
        elif f["type"] == "date":
            out[f["key"]] = "2000-01-01"
        elif f["type"] == "phone":
            out[f["key"]] = "0912 345 678"
        elif f["type"] != "checkbox":
            out[f["key"]] = "Nội dung"
    return out


def create_dossier(session, *, status=DossierStatus.SUBMITTED, code: str = MARRIAGE,
                   name: str = "Nguyễn Văn An", phone: str = "0912 345 678",
                   office: str = OFFICE, applicant: User | None = None,
                   now: datetime | None = None) -> Dossier:
    """A dossier filed online through the real services (draft → answers → documents →
    submit), then moved to `status` through the workflow by the demo staff."""
    applicant = applicant or user(session, "resident@demo.test")
    proc = procedure(session, code)
    draft = filing.start_draft(session, applicant, proc)
    form = fill(session, draft, {**applicant_answers(name, phone, office),
                                 **_procedure_answers(proc)})
    assert form.validate(), form.errors
    for doc in proc.current_version.data.get("documents", []):
        filing.add_attachment(session, draft, doc["key"], pdf_upload(), applicant)
    filing.submit(session, draft, applicant, secrets.token_hex(8))
    move_to(session, draft, status, now=now)
    return draft


def move_to(session, dossier: Dossier, status, now=None) -> None:
    """Walk a submitted dossier to `status` with the demo accounts of its office."""
    S = DossierStatus
    clerk = user(session, "clerk@demo.test")
    leader = user(session, "leader@demo.test")
    kw = {"now": now} if now else {}
    if status == S.SUBMITTED:
        return
    if status == S.NOT_ACCEPTED:
        perform(session, dossier, "refuse", clerk, reason="Thiếu giấy tờ", **kw)
        return
    if status == S.WITHDRAWN:
        perform(session, dossier, "withdraw", dossier.applicant_user, **kw)
        return
    perform(session, dossier, "accept", clerk, **kw)
    if status == S.ACCEPTED or dossier.status == status:
        return
    if status == S.IN_PROGRESS:
        officer = user(session, "officer@demo.test")
        perform(session, dossier, "assign", clerk, officer=officer, **kw)
    elif status == S.SUPPLEMENT_REQUESTED:
        perform(session, dossier, "request_supplement", clerk, reason="Bổ sung ảnh", **kw)
    elif status == S.PAYMENT_REQUESTED:
        perform(session, dossier, "request_payment", clerk, amount=20000, **kw)
    elif status == S.STOPPED:
        perform(session, dossier, "stop", leader, reason="Dừng", **kw)
    elif status in (S.DONE, S.RETURNED):
        add_prepared_result(session, dossier, leader)
        perform(session, dossier, "complete", leader, result={"kind": "scan", "sha256": "0"},
                **kw)
        if status == S.RETURNED:
            perform(session, dossier, "return_result", clerk, delivery={"way": "pickup"}, **kw)
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


def login(client, account: User) -> None:
    with client.session_transaction() as s:
        s["_user_id"] = account.get_id()
        s["_fresh"] = True


CSRF = re.compile(r'name="(?:[\w-]*-)?csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_action(client, dossier: Dossier, action: str, version: int | None = None,
                token: str | None = None, **fields):
    """POST one action form of the staff dossier page with its CSRF token and version."""
    url = f"/staff/dossiers/{dossier.code}"
    token = token or csrf_token(client, url)
    data = {f"{action}-csrf_token": token,
            f"{action}-version": str(dossier.version if version is None else version)}
    data.update({f"{action}-{k}": v for k, v in fields.items()})
    return client.post(f"{url}/{action}", data=data)
