"""E-receipts (biên lai thu phí, lệ phí) for every paid payment, online or at the desk.

A view-model of plain, already formatted strings → templates/pdf/fee_receipt.html → PDF.
The number is given when the payment is recorded (gap-free per collecting office and year);
the receipt itself is rebuilt from the payment each time, so it never drifts from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from district_portal.models import Dossier, Payment
from district_portal.services.documents.pdf import money_words, render_html, render_pdf
from district_portal.services.documents.signing import sign_pdf
from district_portal.services.documents.slips import Heading, Party, _party, heading_for
from district_portal.services.payments.attempts import receipt_label
from district_portal.text import format_datetime, format_money

__all__ = ["FeeLine", "FeeReceipt", "ReceiptError", "fee_receipt", "receipt_html",
           "render_receipt"]

UNIT = "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"
PROVIDERS = {
    "vnpay": "Chuyển khoản trực tuyến qua Cổng thanh toán VNPAY",
    "desk": "Tiền mặt, nộp tại Bộ phận tiếp nhận và trả kết quả",
}


class ReceiptError(ValueError):
    """This payment has no receipt (not paid)."""


@dataclass(frozen=True, kw_only=True)
class FeeLine:
    label: str
    amount: str


@dataclass(frozen=True, kw_only=True)
class FeeReceipt:
    template: str
    title: str
    heading: Heading
    number: str
    office_name: str
    office_code: str
    office_address: str
    payer: Party
    procedure_code: str
    procedure_name: str
    dossier_code: str
    lines: tuple[FeeLine, ...]
    total: str
    total_words: str
    method: str
    provider_txn_no: str
    txn_ref: str
    paid_at: str
    collector: str


def _fee_lines(dossier: Dossier, payment: Payment) -> tuple[FeeLine, ...]:
    """The fee lines stored on the dossier at submission when it has them (a list of
    {"label", "amount"}), else one line with the procedure's fee."""
    stored = getattr(dossier, "fee_lines", None) or []
    lines = tuple(FeeLine(label=str(line.get("label", "")),
                          amount=format_money(int(line.get("amount", 0))))
                  for line in stored if isinstance(line, dict))
    if lines and sum(int(line.get("amount", 0)) for line in stored
                     if isinstance(line, dict)) == payment.amount:
        return lines
    name = dossier.procedure_version.data.get("name", "")
    return (FeeLine(label=f"Phí, lệ phí giải quyết thủ tục {name}",
                    amount=format_money(payment.amount)),)


def fee_receipt(payment: Payment) -> FeeReceipt:
    """The e-receipt of a paid payment."""
    if payment.state != "paid" or payment.receipt_number is None:
        raise ReceiptError("Khoản thanh toán này chưa được ghi nhận, chưa có biên lai.")
    dossier = payment.dossier
    office = payment.receipt_office or dossier.receiving_office
    data = dossier.procedure_version.data
    collector = payment.recorded_by.full_name if payment.recorded_by else \
        "Thu trực tuyến qua Cổng dịch vụ công"
    return FeeReceipt(
        template="fee_receipt.html", title="BIÊN LAI THU PHÍ, LỆ PHÍ",
        heading=heading_for(dossier, office, payment.paid_at, unit=UNIT),
        number=receipt_label(payment), office_name=office.name if office else "",
        office_code=office.agency_code if office else "",
        office_address=(office.address or "") if office else "",
        payer=_party(dossier), procedure_code=dossier.procedure.code,
        procedure_name=data.get("name", ""), dossier_code=dossier.code or "",
        lines=_fee_lines(dossier, payment), total=format_money(payment.amount),
        total_words=money_words(payment.amount), method=PROVIDERS.get(payment.provider, ""),
        provider_txn_no=payment.provider_txn_no or "", txn_ref=payment.txn_ref,
        paid_at=format_datetime(payment.paid_at), collector=collector)


def receipt_html(receipt: FeeReceipt) -> str:
    return render_html(receipt.template, slip=receipt)


def render_receipt(receipt: FeeReceipt, office=None) -> bytes:
    """The e-receipt as PDF bytes (A5), signed when the office can sign."""
    return _signed(render_pdf(receipt.template, slip=receipt), office)


def _signed(pdf: bytes, office) -> bytes:
    """Signed with the office's certificate when it has one (PAdES), like issued results."""
    return sign_pdf(pdf, office)
