"""Slips of Circular 01/2018/TT-VPCP (forms 01–06) as view-models, rendered to PDF.

Each builder reads a Dossier (and its events) and returns one of the frozen dataclasses of
slip_models.py (plain, already formatted strings); templates in templates/pdf/ never see an ORM
object. Texts here are the official Vietnamese form texts: they stay Vietnamese whatever the UI
language.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import object_session

from district_portal.codes import format_ref, is_valid_ref
from district_portal.models import Dossier, DossierEvent, DossierStatus, Office
from district_portal.models.types import utcnow
from district_portal.phones import display_phone
from district_portal.services.calendar import deadlines
from district_portal.services.documents.handovers import control_rows, timeliness
from district_portal.services.documents.official import (
    date_line,
    long_date,
    place_name,
    signature_for,
    spoken_time,
)
from district_portal.services.documents.pdf import money_words, qr_image, render_html, render_pdf
from district_portal.services.documents.slip_models import (
    DELIVERY_VI,
    DESK,
    STATUS_VI,
    ApologySlip,
    ControlRow,
    ControlSlip,
    DocumentLine,
    FeeLineText,
    Heading,
    Ledger,
    LedgerRow,
    Party,
    ReceiptSlip,
    RefusalSlip,
    SlipError,
    SupplementSlip,
)
from district_portal.services.dossiers.workflow import ENDED_WITHOUT_RESULT
from district_portal.templating import time_limit_text
from district_portal.text import LOCAL_TZ, format_date, format_datetime, format_money, to_local

__all__ = [
    "ApologySlip", "ControlRow", "ControlSlip", "DocumentLine", "FeeLineText", "Heading",
    "Ledger",
    "LedgerRow", "Party", "ReceiptSlip", "RefusalSlip", "SlipError", "SupplementSlip",
    "acceptance_receipt", "apology_slip", "control_slip", "ledger", "online_receipt",
    "long_date", "place_name", "receipt_for", "receipt_number", "refusal_slip", "render_slip",
    "result_place", "slip_html", "supplement_slip", "timeliness",
]


# --- shared pieces ----------------------------------------------------------------------------


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def display_ref(ref: str | None) -> str:
    return format_ref(ref) if ref and is_valid_ref(ref) else (ref or "")


def heading_for(dossier: Dossier, office: Office | None, at: datetime | None, *,
             unit: str = DESK, qr_url: str | None = None, number: str = "") -> Heading:
    url = qr_url or f"{_base_url()}/track"
    return Heading(
        office=(office.name if office else "").upper(), unit=unit,
        place_date=date_line(office, at), number=number,
        code=dossier.code or "", ref=display_ref(dossier.ref), qr_url=url, qr=qr_image(url))


def _party(dossier: Dossier) -> Party:
    a = dossier.applicant or {}
    address = ", ".join(p for p in (a.get("street"), a.get("commune_label")) if p)
    return Party(name=a.get("name") or "",
                 id_number=a.get("id_number") or a.get("tax_code") or "",
                 phone=display_phone(dossier.applicant_phone or a.get("phone")) or "",
                 email=a.get("email") or "", address=address)


def _common(dossier: Dossier, template: str, title: str, heading: Heading) -> dict:
    data = dossier.procedure_version.data
    return dict(template=template, title=title, heading=heading,
                procedure_code=dossier.procedure.code, procedure_name=data["name"],
                applicant=_party(dossier))


def _events(dossier: Dossier, action: str) -> list[DossierEvent]:
    return [e for e in dossier.events if e.action == action]


def _latest(dossier: Dossier, action: str, missing: str) -> DossierEvent:
    events = _events(dossier, action)
    if not events:
        raise SlipError(missing)
    return events[-1]


def _actor_name(event: DossierEvent | None) -> str:
    return event.actor.full_name if event is not None and event.actor is not None else ""


def processing_time_text(limit: dict) -> str:
    """The time limit in words, in Vietnamese whatever the UI language."""
    with force_locale("vi"):
        return time_limit_text(limit)


def delivery_text(delivery: dict | None) -> str:
    delivery = delivery or {}
    text = DELIVERY_VI.get(delivery.get("way") or "", "")
    if delivery.get("way") == "post" and delivery.get("address"):
        text += f": {delivery['address']}"
    return text


def _documents(dossier: Dossier) -> tuple[DocumentLine, ...]:
    files: dict[str, int] = {}
    for att in dossier.attachments:
        if att.kind in ("applicant", "supplement"):
            files[att.document_key] = files.get(att.document_key, 0) + 1
    return tuple(
        DocumentLine(name=d["name"], originals=int(d.get("originals", 0)),
                     copies=int(d.get("copies", 0)), uploaded=files.get(d["key"], 0) > 0,
                     files=files.get(d["key"], 0))
        for d in dossier.procedure_version.data.get("documents", []))


# --- forms 01–05 ------------------------------------------------------------------------------


def online_receipt(dossier: Dossier) -> ReceiptSlip:
    """The confirmation of an online filing that the office has not accepted yet."""
    if dossier.submitted_at is None or not dossier.code:
        raise SlipError("Hồ sơ chưa được nộp.")
    return ReceiptSlip(
        **_common(dossier, "receipt_online.html",
                  "XÁC NHẬN NỘP HỒ SƠ TRỰC TUYẾN" if dossier.channel == "online"
                  else "XÁC NHẬN ĐÃ NHẬN HỒ SƠ",
                  heading_for(dossier, dossier.receiving_office, dossier.submitted_at)),
        accepted=False, channel=dossier.channel,
        submitted_at=format_datetime(dossier.submitted_at), documents=_documents(dossier),
        intake_days=int(current_app.config.get("INTAKE_WORKING_DAYS", 1)),
        intake_due_at=_deadline(deadlines.intake_due_text, dossier),
        work_starts_at=_deadline(_work_starts_text, dossier), track_with=track_with(dossier))


def acceptance_receipt(dossier: Dossier) -> ReceiptSlip:
    """Form 01: receipt with the due date, once the dossier is accepted."""
    if dossier.accepted_at is None:
        raise SlipError("Hồ sơ chưa được tiếp nhận.")
    accept = (_events(dossier, "accept") or [None])[-1]
    data = dossier.procedure_version.data
    number = receipt_number(dossier)
    return ReceiptSlip(
        **_common(dossier, "receipt.html", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
                  heading_for(dossier, dossier.receiving_office, dossier.accepted_at,
                              number=number)),
        accepted=True, channel=dossier.channel,
        submitted_at=format_datetime(dossier.submitted_at), documents=_documents(dossier),
        accepted_at=format_datetime(dossier.accepted_at),
        due_at=_deadline(deadlines.due_text, dossier),
        processing_time=processing_time_text(data.get("processing_time", {})),
        fee=format_money(dossier.fee) if dossier.fee else "Không thu phí, lệ phí",
        fee_words=money_words(dossier.fee) if dossier.fee else "",
        fee_lines=fee_line_texts(dossier.fee_lines),
        delivery=delivery_text(dossier.delivery), clerk=_actor_name(accept),
        number=number, accepted_spoken=spoken_time(dossier.accepted_at),
        due_spoken=spoken_time(deadlines.shown_deadline(
            object_session(dossier), dossier.handling_office or dossier.receiving_office,
            dossier.due_at)),
        result_place=result_place(dossier), track_with=track_with(dossier))


def receipt_number(dossier: Dossier) -> str:
    """'125/TN': the dossier's place among those its receiving office accepted in the same
    local year, by time of acceptance — the order of the office's register (form 06), so
    every receipt of the year has its own number and none is skipped. Counted when printed,
    not stored: it never changes once later acceptances are committed."""
    local = to_local(dossier.accepted_at)
    start = datetime(local.year, 1, 1, tzinfo=LOCAL_TZ)
    end = datetime(local.year + 1, 1, 1, tzinfo=LOCAL_TZ)
    earlier = or_(Dossier.accepted_at < dossier.accepted_at,
                  and_(Dossier.accepted_at == dossier.accepted_at, Dossier.id <= dossier.id))
    number = object_session(dossier).scalar(
        select(func.count(Dossier.id)).where(
            Dossier.receiving_office_id == dossier.receiving_office_id,
            Dossier.accepted_at >= start, Dossier.accepted_at < end, earlier))
    return f"{number}/TN"


def result_place(dossier: Dossier) -> str:
    """Where the applicant will receive the result (form 01: 'Đăng ký nhận kết quả tại')."""
    delivery = dossier.delivery or {}
    office = dossier.receiving_office
    if delivery.get("way") == "online":
        return "Cổng dịch vụ công (bản điện tử, tải về bằng tài khoản của người nộp hồ sơ)"
    if delivery.get("way") == "post":
        address = delivery.get("address") or ""
        return "Địa chỉ nhận qua dịch vụ bưu chính công ích" + (f": {address}" if address else "")
    return "Bộ phận tiếp nhận và trả kết quả" + (f", {office.name}" if office else "")


def track_with(dossier: Dossier) -> str:
    """What the applicant gives on /track with the code: the phone, or for a walk-in without
    one the ID number; "" when neither was given (an organisation without a phone)."""
    if dossier.applicant_phone:
        return "số điện thoại"
    if (dossier.applicant or {}).get("id_number"):
        return "số định danh cá nhân"
    return ""


def _unbroken(text: str) -> str:
    """'12.000 đồng' kept on one line."""
    return text.replace(" ", "\u00a0")


def fee_line_texts(stored: list | None) -> tuple[FeeLineText, ...]:
    """The bill worked out at submission, as the slip prints it (none before fee lines)."""
    out = []
    for line in stored or []:
        label = line.get("label") or "Phí, lệ phí"
        if line.get("exempt") is not None:
            label += " (miễn" + (f": {line['exempt']}" if line["exempt"] else "") + ")"
        elif line.get("capped"):
            label += " (mức tối đa)"
        out.append(FeeLineText(label=label, quantity=str(line["quantity"]),
                               unit_amount=_unbroken(format_money(line["unit_amount"])),
                               amount=_unbroken(format_money(line["amount"]))))
    return tuple(out)


def receipt_for(dossier: Dossier) -> ReceiptSlip:
    """Form 01 once the dossier was accepted, else the online filing confirmation."""
    if dossier.accepted_at is not None and dossier.status != DossierStatus.SUBMITTED:
        return acceptance_receipt(dossier)
    return online_receipt(dossier)


def supplement_slip(dossier: Dossier) -> SupplementSlip:
    """Form 02, from the latest request_supplement event."""
    event = _latest(dossier, "request_supplement", "Hồ sơ chưa có yêu cầu bổ sung.")
    office = event.from_office or dossier.receiving_office
    return SupplementSlip(
        **_common(dossier, "supplement.html", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
                  heading_for(dossier, office, event.at)),
        reason=event.note or "", requested_at=format_datetime(event.at),
        requested_by=_actor_name(event), office_phone=(office.phone if office else "") or "")


def refusal_slip(dossier: Dossier) -> RefusalSlip:
    """Form 03, from the refuse event."""
    event = _latest(dossier, "refuse", "Hồ sơ không bị từ chối tiếp nhận.")
    return RefusalSlip(
        **_common(dossier, "refusal.html", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
                  heading_for(dossier, dossier.receiving_office, event.at)),
        reason=event.note or "", refused_at=format_datetime(event.at),
        refused_by=_actor_name(event))


def apology_slip(dossier: Dossier) -> ApologySlip:
    """Form 04, from the latest extend event: the old and the new due date and the reason."""
    event = _latest(dossier, "extend", "Hồ sơ chưa được hẹn lại ngày trả kết quả.")
    old_due = _parse_time((event.data or {}).get("old_due_at"))
    new_due = _parse_time((event.data or {}).get("due_at")) or dossier.due_at
    office = dossier.handling_office or dossier.receiving_office
    signature = signature_for(dossier.procedure_version.data.get("result") or {}, event.actor)
    return ApologySlip(
        **_common(dossier, "apology.html", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
                  heading_for(dossier, office, event.at, unit="")),
        accepted_date=format_date(dossier.accepted_at),
        old_due_at=_deadline(deadlines.extended_due_text, dossier, old_due),
        new_due_at=_deadline(deadlines.extended_due_text, dossier, new_due),
        new_due_date=long_date(deadlines.shown_deadline(object_session(dossier), office, new_due)),
        reason=event.note or "", signer=_actor_name(event),
        office_name=office.name if office else "",
        signer_lines=signature.lines or ("THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ",))


def _deadline(text, dossier: Dossier, *args) -> str:
    """A deadline as pages and SMS show it (services/calendar/deadlines.py), in Vietnamese."""
    with force_locale("vi"):
        return text(object_session(dossier), dossier, *args)


def _work_starts_text(session, dossier: Dossier) -> str:
    return deadlines.format_deadline(deadlines.work_starts_at(session, dossier))


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def control_slip(dossier: Dossier) -> ControlSlip:
    """Form 05: each hand-over with a row to sign (see handovers.py)."""
    rows = control_rows(dossier)
    handling = dossier.handling_office or dossier.receiving_office
    return ControlSlip(
        **_common(dossier, "control.html", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
                  heading_for(dossier, dossier.receiving_office,
                              dossier.accepted_at or dossier.submitted_at)),
        handling_office=handling.name if handling else "",
        receipt_number=receipt_number(dossier) if dossier.accepted_at else "",
        due_at=_deadline(deadlines.due_text, dossier), rows=rows)


# --- form 06: the ledger -----------------------------------------------------------------------


def ledger(dossiers, office: Office | None = None, period: str = "",
           now: datetime | None = None) -> Ledger:
    """Form 06 for `dossiers` (in the given order): received, due, done, returned, on time."""
    now = now or utcnow()
    rows = []
    for number, d in enumerate(dossiers, start=1):
        party = _party(d)
        handling = d.handling_office or d.receiving_office
        rows.append(LedgerRow(
            number=number, code=d.code or "", procedure=d.procedure_version.data["name"],
            applicant=party.name, contact=", ".join(p for p in (party.address, party.phone) if p),
            handling_office=handling.name if handling else "",
            received_at=format_datetime(d.accepted_at or d.submitted_at),
            due_at=format_datetime(d.due_at), completed_at=format_datetime(d.completed_at),
            returned_at=format_datetime(d.returned_at),
            status=STATUS_VI.get(str(d.status), str(d.status)),
            timeliness=_dossier_timeliness(d, now)))
    return Ledger(office=(office.name if office else "").upper(), period=period,
                  printed_at=format_datetime(now), rows=tuple(rows))


def _dossier_timeliness(d: Dossier, now: datetime) -> str:
    if d.due_at is None:
        return ""
    if d.completed_at is not None:
        return timeliness(d.completed_at, d.due_at)
    if d.status in ENDED_WITHOUT_RESULT:
        return ""
    return "Quá hạn (đang giải quyết)" if now > d.due_at else "Trong hạn"


# --- rendering -----------------------------------------------------------------------------------


def slip_html(slip) -> str:
    """The slip's HTML (what the PDF is made from)."""
    return render_html(slip.template, slip=slip)


def render_slip(slip) -> bytes:
    """The slip as PDF bytes: A5 for forms 01–05, A4 landscape for the ledger."""
    return render_pdf(slip.template, slip=slip)
