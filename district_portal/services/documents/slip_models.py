"""The slips' view-models (forms 01–06 of Circular 01/2018/TT-VPCP) and their official words.

Frozen dataclasses of plain, already formatted strings: what templates in templates/pdf/ see.
The builders that fill them from a Dossier are in slips.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from district_portal.services.errors import ServiceError

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
DESK = "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"

# Official Vietnamese words (DESIGN.md §4); the workflow's own labels follow the UI language.
STATUS_VI = {
    "draft": "Bản nháp", "submitted": "Chờ tiếp nhận", "accepted": "Đã tiếp nhận",
    "not_accepted": "Từ chối tiếp nhận", "in_progress": "Đang xử lý",
    "supplement_requested": "Yêu cầu bổ sung",
    "payment_requested": "Chờ thực hiện nghĩa vụ tài chính",
    "withdrawn": "Công dân rút hồ sơ", "stopped": "Dừng xử lý", "done": "Đã có kết quả",
    "returned": "Đã trả kết quả",
}
ACTION_VI = {
    "submit": "Nộp hồ sơ", "accept": "Tiếp nhận hồ sơ", "refuse": "Từ chối tiếp nhận",
    "request_supplement": "Yêu cầu bổ sung hồ sơ", "supplement": "Bổ sung hồ sơ",
    "assign": "Giao chuyên viên xử lý", "transfer": "Chuyển cơ quan giải quyết",
    "request_payment": "Yêu cầu thực hiện nghĩa vụ tài chính", "pay": "Thanh toán phí, lệ phí",
    "complete": "Ban hành kết quả", "return_result": "Trả kết quả", "stop": "Dừng xử lý",
    "extend": "Gia hạn, hẹn lại ngày trả kết quả", "withdraw": "Công dân rút hồ sơ",
    "rate": "Đánh giá mức độ hài lòng",
}
DELIVERY_VI = {
    "online": "Nhận kết quả trực tuyến trên Cổng dịch vụ công",
    "pickup": "Nhận trực tiếp tại Bộ phận tiếp nhận và trả kết quả",
    "post": "Nhận qua dịch vụ bưu chính công ích",
}
BEFORE, ON_TIME, LATE = "Trước hạn", "Đúng hạn", "Quá hạn"


class SlipError(ServiceError):
    """The slip cannot be issued for this dossier now; the message says why (Vietnamese)."""


@dataclass(frozen=True, kw_only=True)
class Heading:
    office: str  # issuing office, upper case
    unit: str  # second line under the office ("" for none)
    place_date: str  # "Phường Hòa Bình, ngày 05 tháng 03 năm 2026"
    code: str
    ref: str  # XXXX-XXXX, or ""
    qr_url: str
    qr: Markup  # inline SVG
    number: str = ""  # form 01's "Số: 125/TN", under the issuer


@dataclass(frozen=True, kw_only=True)
class Party:
    name: str
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True, kw_only=True)
class DocumentLine:
    name: str
    originals: int
    copies: int
    uploaded: bool
    files: int


@dataclass(frozen=True, kw_only=True)
class FeeLineText:
    """One fee line as form 01 prints it."""

    label: str
    quantity: str
    unit_amount: str
    amount: str


@dataclass(frozen=True, kw_only=True)
class _Slip:
    template: str
    title: str
    heading: Heading
    procedure_code: str
    procedure_name: str
    applicant: Party


@dataclass(frozen=True, kw_only=True)
class ReceiptSlip(_Slip):
    """The online filing confirmation, or form 01 once accepted (`accepted` is True)."""

    accepted: bool
    channel: str
    submitted_at: str
    documents: tuple[DocumentLine, ...]
    intake_days: int = 0
    intake_due_at: str = ""
    work_starts_at: str = ""  # filed outside working hours: when the office starts on it
    accepted_at: str = ""
    due_at: str = ""
    processing_time: str = ""
    fee: str = ""
    fee_words: str = ""
    fee_lines: tuple[FeeLineText, ...] = ()
    delivery: str = ""
    clerk: str = ""
    number: str = ""  # form 01's "Số: 125/TN"
    accepted_spoken: str = ""  # "9 giờ 15 phút, ngày 03 tháng 3 năm 2026"
    due_spoken: str = ""
    result_place: str = ""  # where the applicant receives the result
    track_with: str = ""  # what /track asks besides the code: "số điện thoại", … or "" (none)


@dataclass(frozen=True, kw_only=True)
class SupplementSlip(_Slip):
    reason: str
    requested_at: str
    requested_by: str
    office_phone: str


@dataclass(frozen=True, kw_only=True)
class RefusalSlip(_Slip):
    reason: str
    refused_at: str
    refused_by: str


@dataclass(frozen=True, kw_only=True)
class ApologySlip(_Slip):
    accepted_date: str
    old_due_at: str
    new_due_at: str
    new_due_date: str  # "ngày 12 tháng 03 năm 2026"
    reason: str
    signer: str
    office_name: str = ""
    signer_lines: tuple[str, ...] = ()  # "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"


@dataclass(frozen=True, kw_only=True)
class ControlRow:
    number: int
    step: str
    giver: str  # person — office handing over
    receiver: str  # person — office receiving
    at: str
    timeliness: str
    note: str


@dataclass(frozen=True, kw_only=True)
class ControlSlip(_Slip):
    handling_office: str
    receipt_number: str
    due_at: str
    rows: tuple[ControlRow, ...]


@dataclass(frozen=True, kw_only=True)
class LedgerRow:
    number: int
    code: str
    procedure: str
    applicant: str
    contact: str
    handling_office: str
    received_at: str
    due_at: str
    completed_at: str
    returned_at: str
    status: str
    timeliness: str


@dataclass(frozen=True, kw_only=True)
class Ledger:
    template: str = "ledger.html"
    title: str = "SỔ THEO DÕI HỒ SƠ"
    office: str
    period: str
    printed_at: str
    rows: tuple[LedgerRow, ...] = field(default_factory=tuple)
