"""Result documents (A4): an admin-written template run in Jinja's sandbox on plain dicts.

Result templates come from the catalogue (ProcedureVersion.data["result"]["template"]), so they
are untrusted: they run in a SandboxedEnvironment with autoescape on, see only `answers`,
`dossier`, `office` and `procedure` as plain dicts, and any failure (syntax error, unsafe
attribute, a loop, output or time limit passed: see sandbox.py) becomes a
ResultTemplateError with a Vietnamese message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup
from num2words import num2words

from district_portal.models import Dossier, Office, User
from district_portal.models.types import utcnow
from district_portal.services.documents import official
from district_portal.services.documents.pdf import qr_image, render_html, render_pdf
from district_portal.services.documents.registers import RegisterEntry
from district_portal.services.documents.sandbox import (
    LimitExceeded,
    ResultSandbox,
    render_limited,
)
from district_portal.services.documents.slips import display_ref
from district_portal.services.errors import ServiceError
from district_portal.text import format_date, format_money, to_local

__all__ = ["ResultDocument", "ResultTemplateError", "render_result", "render_result_body",
           "result_context", "result_document", "result_html"]

class ResultTemplateError(ServiceError):
    """The result template cannot be rendered; `message` is Vietnamese, for the admin."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message, 400)
        self.detail = detail


def _date(value) -> str:
    """dd/mm/yyyy for a date, a datetime (local day) or an ISO date or date-time string."""
    if isinstance(value, str) and "T" in value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_date(value)


def _date_words(value) -> str:
    """A date in words, as a birth certificate writes it: 'Ngày hai mươi, tháng mười một, năm
    hai nghìn không trăm hai mươi sáu'."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = to_local(value) if value.tzinfo else value
    if not isinstance(value, date):
        return ""
    day, month = (num2words(n, lang="vi") for n in (value.day, value.month))
    return f"Ngày {day}, tháng {month}, năm {_year_words(value.year)}"


def _year_words(year: int) -> str:
    """2026 → 'hai nghìn không trăm hai mươi sáu', 2005 → '… không trăm linh năm' (as
    registers write years, not num2words' 'lẻ')."""
    thousands, rest = divmod(year, 1000)
    if not thousands or rest >= 100:
        return num2words(year, lang="vi")
    head = num2words(thousands, lang="vi") + " nghìn"
    if rest == 0:
        return head
    tail = num2words(rest, lang="vi") if rest >= 10 else "linh " + num2words(rest, lang="vi")
    return f"{head} không trăm {tail}"


def _make_env() -> SandboxedEnvironment:
    env = ResultSandbox(autoescape=True)
    env.filters["date"] = _date
    env.filters["date_words"] = _date_words
    env.filters["money"] = format_money
    return env


_ENV = _make_env()


def result_context(dossier: Dossier, *, register: RegisterEntry | None = None,
                   issued_at: datetime | None = None) -> dict:
    """The plain dicts a result template sees (DESIGN.md §5); never an ORM object.

    `result` holds the register number and book ("" before issue) and the local time of
    issue; `office.full_name` spells the authority out with its province ("Ủy ban nhân dân
    phường Hòa Bình, tỉnh Phú Thọ"), as a place of registration is written."""
    data = dossier.procedure_version.data
    answers = {k: v for k, v in (dossier.answers or {}).items()}
    for f in data.get("fields", []):
        if f.get("type") in ("select", "radio"):
            labels = {o["value"]: o["label"] for o in f.get("options", [])}
            value = answers.get(f["key"])
            answers[f"{f['key']}_label"] = labels.get(value, "") if value is not None else ""
    office: Office | None = dossier.handling_office or dossier.receiving_office
    applicant = dossier.applicant or {}
    return {
        "answers": answers,
        "applicant": {"name": applicant.get("name") or "",
                      "id_number": applicant.get("id_number") or applicant.get("tax_code") or ""},
        "dossier": {"code": dossier.code or "", "ref": display_ref(dossier.ref),
                    "submitted_at": to_local(dossier.submitted_at),
                    "accepted_at": to_local(dossier.accepted_at),
                    "completed_at": to_local(dossier.completed_at or issued_at)},
        "office": {"name": office.name if office else "",
                   "full_name": _full_name(office),
                   "agency_code": office.agency_code if office else "",
                   "address": (office.address or "") if office else ""},
        "procedure": {"code": dossier.procedure.code, "name": data["name"]},
        "result": {"number": register.number_text if register else "",
                   "book": register.book_text if register else "",
                   "issued_at": to_local(issued_at or dossier.completed_at)},
    }


def _full_name(office: Office | None) -> str:
    if office is None:
        return ""
    name = " ".join(office.name.split())
    for short, full in official.AUTHORITY_ABBREVIATIONS.items():
        if name.startswith(short + " "):
            name = full.capitalize() + name[len(short):]
    province = (office.address or "").split(",")[1:]
    return ", ".join([name, *(p.strip() for p in province if p.strip())])


def render_result_body(dossier: Dossier, template_source: str, *,
                       register: RegisterEntry | None = None,
                       issued_at: datetime | None = None) -> Markup:
    """Run the admin's template in the sandbox; raise ResultTemplateError if it fails."""
    try:
        template = _ENV.from_string(template_source)
        body = render_limited(template, result_context(dossier, register=register,
                                                       issued_at=issued_at))
    except LimitExceeded as exc:
        raise ResultTemplateError("Mẫu kết quả vượt giới hạn cho phép (vòng lặp quá dài, văn "
                                  "bản quá dài hoặc chạy quá lâu). Rút gọn mẫu rồi thử lại.",
                                  str(exc)) from None
    except SecurityError as exc:
        raise ResultTemplateError("Mẫu kết quả dùng thao tác không được phép.", str(exc)) \
            from None
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (dòng {line})" if line else ""
        raise ResultTemplateError(f"Mẫu kết quả có lỗi{where}: kiểm tra lại cú pháp và tên "
                                  "trường.", str(exc)) from None
    except Exception as exc:  # an admin's expression may fail in any way: report, don't crash
        raise ResultTemplateError("Mẫu kết quả không hiển thị được với dữ liệu của hồ sơ này.",
                                  f"{type(exc).__name__}: {exc}") from None
    return Markup(body)  # nosec B704 — rendered by the sandbox with autoescape on


@dataclass(frozen=True, kw_only=True)
class ResultDocument:
    template: str
    title: str
    issuer: tuple[str, ...]  # "ỦY BAN NHÂN DÂN", "PHƯỜNG HÒA BÌNH"
    number: str  # "15/2026"; "…/2026" before issue
    book: str  # "01/2026", "…/2026" before issue, "" without a register book
    date_line: str  # "Hòa Bình, ngày 05 tháng 01 năm 2026"
    signature: official.Signature
    qr_url: str
    qr: Markup
    result_name: str
    body: Markup
    token: str


def result_document(dossier: Dossier, template_source: str | None = None, *,
                    token: str | None = None, register: RegisterEntry | None = None,
                    leader: User | None = None, issued_at: datetime | None = None
                    ) -> ResultDocument:
    """The view-model of a result: the sandboxed body, the issuer, register number and date
    line, the signature block and the /verify QR code.

    `template_source` defaults to the procedure version's result template; `token` to the
    dossier's verification token (set it before completing the dossier). Before issue
    (no `register`) the number is left open for the register: "…/2026".
    """
    result = dossier.procedure_version.data.get("result") or {}
    if template_source is None:
        template_source = result.get("template") or ""
    token = token or dossier.verification_token
    if not token:
        raise ResultTemplateError("Hồ sơ chưa có mã xác minh kết quả.")
    url = f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{token}"
    office = dossier.handling_office or dossier.receiving_office
    at = issued_at or dossier.completed_at or utcnow()
    open_number = f"…/{to_local(at).year}"
    book = ""
    if result.get("register_book"):
        book = register.book_text if register is not None else open_number
    return ResultDocument(
        template="result.html", title=result.get("name") or dossier.procedure_version.name,
        issuer=official.issuer_lines(office),
        number=register.number_text if register is not None else open_number, book=book,
        date_line=official.date_line(office, at), signature=official.signature_for(result, leader),
        qr_url=url, qr=qr_image(url), result_name=result.get("name") or "",
        body=render_result_body(dossier, template_source, register=register, issued_at=at),
        token=token)


def result_html(dossier: Dossier, template_source: str | None = None, **kwargs) -> str:
    doc = result_document(dossier, template_source, **kwargs)
    return render_html(doc.template, slip=doc)


def render_result(dossier: Dossier, template_source: str | None = None, **kwargs) -> bytes:
    """The result as an A4 PDF: issuer, register number, date line, body, signature block
    and a QR code to /verify/<token>; no dossier code, no tracking code."""
    doc = result_document(dossier, template_source, **kwargs)
    return render_pdf(doc.template, slip=doc)
