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
from sqlalchemy import select
from sqlalchemy.orm import object_session

from district_portal.codes import format_ref, is_valid_ref
from district_portal.models import Dossier, DossierEvent, DossierStatus, Office, User
from district_portal.models.types import utcnow
from district_portal.phones import display_phone
from district_portal.services.documents.pdf import money_words, qr_svg, render_html, render_pdf
from district_portal.services.documents.slip_models import (
    ACTION_VI,
    BEFORE,
    DELIVERY_VI,
    DESK,
    LATE,
    ON_TIME,
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
from district_portal.text import format_date, format_datetime, format_money, to_local

__all__ = [
    "ApologySlip", "ControlRow", "ControlSlip", "DocumentLine", "FeeLineText", "Heading",
    "Ledger",
    "LedgerRow", "Party", "ReceiptSlip", "RefusalSlip", "SlipError", "SupplementSlip",
    "acceptance_receipt", "apology_slip", "control_slip", "ledger", "online_receipt",
    "receipt_for", "refusal_slip", "render_slip", "slip_html", "supplement_slip",
]


# --- shared pieces ----------------------------------------------------------------------------


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def place_name(office: Office | None) -> str:
    """The place on the date line: the first part of the office address ('Phường Hòa Bình')."""
    if office is None:
        return ""
    if office.address:
        return office.address.split(",")[0].strip()
    return office.name


def long_date(dt: datetime | None) -> str:
    """'ngày 05 tháng 03 năm 2026' in local time."""
    value = to_local(dt or utcnow())
    return f"ngày {value:%d} tháng {value:%m} năm {value:%Y}"


def display_ref(ref: str | None) -> str:
    return format_ref(ref) if ref and is_valid_ref(ref) else (ref or "")


def heading_for(dossier: Dossier, office: Office | None, at: datetime | None, *,
             unit: str = DESK, qr_url: str | None = None) -> Heading:
    url = qr_url or f"{_base_url()}/track"
    place = place_name(office)
    return Heading(
        office=(office.name if office else "").upper(), unit=unit,
        place_date=f"{place}, {long_date(at)}" if place else long_date(at).capitalize(),
        code=dossier.code or "", ref=display_ref(dossier.ref), qr_url=url, qr=qr_svg(url))


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


def timeliness(at: datetime | None, deadline: datetime | None) -> str:
    """Before, on or after the deadline (on time = the deadline's local day, not after it)."""
    if at is None or deadline is None:
        return ""
    if at > deadline:
        return LATE
    return ON_TIME if to_local(at).date() == to_local(deadline).date() else BEFORE


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
        intake_due_at=format_datetime(dossier.intake_due_at), track_with=track_with(dossier))


def acceptance_receipt(dossier: Dossier) -> ReceiptSlip:
    """Form 01: receipt with the due date, once the dossier is accepted."""
    if dossier.accepted_at is None:
        raise SlipError("Hồ sơ chưa được tiếp nhận.")
    accept = (_events(dossier, "accept") or [None])[-1]
    data = dossier.procedure_version.data
    return ReceiptSlip(
        **_common(dossier, "receipt.html", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
                  heading_for(dossier, dossier.receiving_office, dossier.accepted_at)),
        accepted=True, channel=dossier.channel,
        submitted_at=format_datetime(dossier.submitted_at), documents=_documents(dossier),
        accepted_at=format_datetime(dossier.accepted_at), due_at=format_datetime(dossier.due_at),
        processing_time=processing_time_text(data.get("processing_time", {})),
        fee=format_money(dossier.fee) if dossier.fee else "Không thu phí, lệ phí",
        fee_words=money_words(dossier.fee) if dossier.fee else "",
        fee_lines=fee_line_texts(dossier.fee_lines),
        delivery=delivery_text(dossier.delivery), clerk=_actor_name(accept),
        track_with=track_with(dossier))


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
    return ApologySlip(
        **_common(dossier, "apology.html", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
                  heading_for(dossier, office, event.at, unit="")),
        accepted_date=format_date(dossier.accepted_at), old_due_at=format_datetime(old_due),
        new_due_at=format_datetime(new_due), new_due_date=long_date(new_due),
        reason=event.note or "", signer=_actor_name(event))


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def control_slip(dossier: Dossier) -> ControlSlip:
    """Form 05: every hand-over recorded in the dossier's events, with on time / late."""
    if not dossier.code:
        raise SlipError("Hồ sơ chưa được nộp.")
    rows = tuple(_control_row(dossier, i, e) for i, e in enumerate(dossier.events, start=1))
    handling = dossier.handling_office or dossier.receiving_office
    return ControlSlip(
        **_common(dossier, "control.html", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
                  heading_for(dossier, dossier.receiving_office,
                           dossier.accepted_at or dossier.submitted_at)),
        handling_office=handling.name if handling else "",
        due_at=format_datetime(dossier.due_at), rows=rows)


def _who(user: User | None, office: Office | None) -> str:
    return " — ".join(p for p in (user.full_name if user else "", office.name if office else "")
                      if p)


def _control_row(dossier: Dossier, number: int, event: DossierEvent) -> ControlRow:
    data = event.data or {}
    giver_office = event.from_office or dossier.receiving_office
    receiver_user, receiver_office = None, event.to_office
    if event.action == "submit":
        giver = (dossier.applicant or {}).get("name", "")
        receiver_office = dossier.receiving_office
        return ControlRow(number=number, step=ACTION_VI["submit"], giver=giver,
                          receiver=_who(None, receiver_office),
                          at=format_datetime(event.at), timeliness="", note=event.note or "")
    if event.action == "assign" and data.get("officer"):
        session = object_session(dossier)
        receiver_user = session.scalar(select(User).where(User.public_id == data["officer"]))
    if event.action == "accept":
        receiver_office = dossier.handling_office
    if event.action in ("return_result", "refuse"):
        receiver = _party(dossier).name
    else:
        receiver = _who(receiver_user, receiver_office or giver_office)
    before_acceptance = event.from_status == "submitted"
    deadline = dossier.intake_due_at if before_acceptance else dossier.due_at
    if event.action == "complete" and "late" in data:
        late = LATE if data["late"] else timeliness(event.at, dossier.due_at) or ON_TIME
    else:
        late = timeliness(event.at, deadline)
    return ControlRow(number=number, step=ACTION_VI.get(event.action, event.action),
                      giver=_who(event.actor, giver_office), receiver=receiver,
                      at=format_datetime(event.at), timeliness=late, note=event.note or "")


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
