"""The form builder's result definition: what the resident receives, its template, the
authority and signer lines, the register book and the fields /verify shows.

A template is tried in the sandbox (services/documents/results.py, the path real results take)
with sample answers derived from the draft's fields before it is kept: one that does not
render is refused with the line and the reason, in Vietnamese, and nothing is stored."""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from datetime import date
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.models import Office, Procedure, User
from district_portal.models.types import utcnow
from district_portal.services.admin import form_checks as checks
from district_portal.services.admin import procedures as drafts
from district_portal.services.admin.form_builder import _store
from district_portal.services.admin.form_checks import BuilderError
from district_portal.services.documents import results
from district_portal.services.documents.results import ResultTemplateError

SIGNATURE_LINES = ("authority", "delegation", "title")
TEMPLATE_MAX = 20000
_SAMPLES = {"text": "Nguyễn Văn An", "textarea": "Nội dung mẫu", "email": "an@example.vn",
            "phone": "0912345678", "id_number": "025123456789", "tax_code": "0123456789",
            "date": date(2026, 1, 15).isoformat(), "commune": 4795}


def sample_answers(data: dict) -> dict:
    """An answer of the right kind for every field of the entry (first option, lower bound)."""
    answers: dict = {}
    for f in data.get("fields", []):
        kind = f["type"]
        if kind in checks.CHOICE_TYPES:
            answers[f["key"]] = (f.get("options") or [{"value": ""}])[0]["value"]
        elif kind == "checkbox":
            answers[f["key"]] = True
        elif kind == "number":
            answers[f["key"]] = f.get("min", 1) if f.get("min", 1) is not None else 1
        else:
            answers[f["key"]] = _SAMPLES.get(kind, f["label"])
    return answers


def _sample_dossier(session: Session, procedure: Procedure, data: dict):
    """A stand-in dossier (plain attributes, never added to the session) for the renderer."""
    codes = data.get("offices") or [o.agency_code for o in procedure.offices]
    office = session.scalar(select(Office).where(Office.agency_code.in_(codes or [""]))
                            .order_by(Office.id).limit(1))
    now = utcnow()
    return SimpleNamespace(
        procedure_version=SimpleNamespace(data=data, name=data.get("name", "")),
        procedure=SimpleNamespace(code=procedure.code), answers=sample_answers(data),
        handling_office=office, receiving_office=office,
        applicant={"name": "Nguyễn Văn An", "id_number": "025123456789"},
        code="MAU-THU", ref="", submitted_at=now, accepted_at=now, completed_at=now,
        verification_token=secrets.token_urlsafe(16))  # a throwaway: /verify knows none


def sample_pdf(session: Session, procedure: Procedure, data: dict,
               template: str | None = None) -> bytes:
    """The result rendered with sample answers: PDF bytes, or ResultTemplateError."""
    dossier = _sample_dossier(session, procedure, data)
    return results.render_result(dossier, template)


def try_template(session: Session, procedure: Procedure, data: dict, template: str) -> None:
    """ResultTemplateError when `template` does not render with the sample answers."""
    if template:
        results.result_html(_sample_dossier(session, procedure, data), template)


def parse_result(values: Mapping[str, str], verify: list[str], data: dict) -> dict:
    errors: dict[str, object] = {}
    result = {k: v for k, v in (data.get("result") or {}).items()
              if k not in ("name", "template", "signature", "verify_fields", "register_book",
                           "signed_scan", "by_post")}
    name = checks.text(values, "name")
    if (err := checks.label_error(name, _l("what the resident receives"))) is not None:
        errors["name"] = err
    result["name"] = name
    template = (values.get("template") or "").replace("\r\n", "\n").strip()
    if len(template) > TEMPLATE_MAX:
        errors["template"] = _l("At most %(n)d characters.", n=TEMPLATE_MAX)
    if template:
        result["template"] = template
    for name in ("register_book", "signed_scan", "by_post"):
        if checks.flag(values, name):
            result[name] = True
    signature = {}
    for line in SIGNATURE_LINES:
        if value := checks.text(values, line):
            signature[line] = value
            if len(value) > 100:
                errors[line] = _l("At most %(n)d characters.", n=100)
    if signature:
        result["signature"] = signature
    keys = {f["key"] for f in data.get("fields", [])}
    chosen = list(dict.fromkeys(k for k in verify if k))
    if any(k not in keys for k in chosen):
        errors["verify_fields"] = _l("Choose questions of this form.")
    elif len(chosen) > 10:
        errors["verify_fields"] = _l("Choose at most 10 questions.")
    if chosen:
        result["verify_fields"] = chosen
    if errors:
        raise BuilderError(errors)
    return result


def save_result(session: Session, actor: User, procedure: Procedure,
                values: Mapping[str, str], verify: list[str]) -> dict:
    """Keep the result definition in the draft; BuilderError (nothing stored) when a value is
    refused or the template does not render with sample answers."""
    data = drafts.draft_data(session, procedure)
    result = parse_result(values, verify, data)
    trial = copy.deepcopy(data)
    trial["result"] = result
    try:
        try_template(session, procedure, trial, result.get("template", ""))
    except ResultTemplateError as exc:
        raise BuilderError({"template": exc.message}) from None
    before = data.get("result")
    data["result"] = result
    _store(session, actor, procedure, data, "result", before, result)
    return result


def sample_from_form(session: Session, procedure: Procedure, values: Mapping[str, str],
                     verify: list[str]) -> bytes:
    """The PDF of the result as typed (not stored): BuilderError if it does not render."""
    data = drafts.draft_data(session, procedure)
    data["result"] = parse_result(values, verify, data)
    try:
        return sample_pdf(session, procedure, data, data["result"].get("template", ""))
    except ResultTemplateError as exc:
        raise BuilderError({"template": exc.message}) from None
