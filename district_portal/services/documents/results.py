"""Result documents (A4): an admin-written template run in Jinja's sandbox on plain dicts.

Result templates come from the catalogue (ProcedureVersion.data["result"]["template"]), so they
are untrusted: they run in a SandboxedEnvironment with autoescape on, see only `answers`,
`dossier`, `office` and `procedure` as plain dicts, and any failure (syntax error, unsafe
attribute, a loop, output or time limit passed: see sandbox.py) becomes a
ResultTemplateError with a Vietnamese message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup

from district_portal.models import Dossier, Office
from district_portal.services.documents.pdf import render_html, render_pdf
from district_portal.services.documents.sandbox import (
    LimitExceeded,
    ResultSandbox,
    render_limited,
)
from district_portal.services.documents.slips import Heading, display_ref, heading_for
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


def _make_env() -> SandboxedEnvironment:
    env = ResultSandbox(autoescape=True)
    env.filters["date"] = _date
    env.filters["money"] = format_money
    return env


_ENV = _make_env()


def result_context(dossier: Dossier) -> dict:
    """The plain dicts a result template sees (DESIGN.md §5); never an ORM object."""
    data = dossier.procedure_version.data
    answers = {k: v for k, v in (dossier.answers or {}).items()}
    for f in data.get("fields", []):
        if f.get("type") in ("select", "radio"):
            labels = {o["value"]: o["label"] for o in f.get("options", [])}
            value = answers.get(f["key"])
            answers[f"{f['key']}_label"] = labels.get(value, "") if value is not None else ""
    office: Office | None = dossier.handling_office or dossier.receiving_office
    return {
        "answers": answers,
        "dossier": {"code": dossier.code or "", "ref": display_ref(dossier.ref),
                    "submitted_at": to_local(dossier.submitted_at),
                    "accepted_at": to_local(dossier.accepted_at),
                    "completed_at": to_local(dossier.completed_at)},
        "office": {"name": office.name if office else "",
                   "agency_code": office.agency_code if office else "",
                   "address": (office.address or "") if office else ""},
        "procedure": {"code": dossier.procedure.code, "name": data["name"]},
    }


def render_result_body(dossier: Dossier, template_source: str) -> Markup:
    """Run the admin's template in the sandbox; raise ResultTemplateError if it fails."""
    try:
        template = _ENV.from_string(template_source)
        body = render_limited(template, result_context(dossier))
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
    return Markup(body)


@dataclass(frozen=True, kw_only=True)
class ResultDocument:
    template: str
    title: str
    heading: Heading
    result_name: str
    body: Markup
    token: str


def result_document(dossier: Dossier, template_source: str | None = None, *,
                    token: str | None = None) -> ResultDocument:
    """The view-model of a result: the sandboxed body, the heading and the /verify QR code.

    `template_source` defaults to the procedure version's result template; `token` to the
    dossier's verification token (set it before completing the dossier).
    """
    result = dossier.procedure_version.data.get("result") or {}
    if template_source is None:
        template_source = result.get("template") or ""
    token = token or dossier.verification_token
    if not token:
        raise ResultTemplateError("Hồ sơ chưa có mã xác minh kết quả.")
    url = f"{current_app.config['BASE_URL'].rstrip('/')}/verify/{token}"
    office = dossier.handling_office or dossier.receiving_office
    return ResultDocument(
        template="result.html", title=result.get("name") or dossier.procedure_version.name,
        heading=heading_for(dossier, office, dossier.completed_at, unit="", qr_url=url),
        result_name=result.get("name") or "", body=render_result_body(dossier, template_source),
        token=token)


def result_html(dossier: Dossier, template_source: str | None = None, *,
                token: str | None = None) -> str:
    doc = result_document(dossier, template_source, token=token)
    return render_html(doc.template, slip=doc)


def render_result(dossier: Dossier, template_source: str | None = None, *,
                  token: str | None = None) -> bytes:
    """The result as an A4 PDF with the national heading and a QR code to /verify/<token>."""
    doc = result_document(dossier, template_source, token=token)
    return render_pdf(doc.template, slip=doc)
