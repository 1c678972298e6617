"""Anyone may check an issued result: by the token in its QR code, or by uploading the PDF.

What is shown is what the holder of the document already has, and no more: the office, the
time of issue, the register number and the leader who issued it, the procedure and result
name, the SHA-256, the signature status (for a digitally signed result: the signer's name and
organisation, whether the file is intact and whether the certificate is trusted), the dossier
code and the applicant's name masked, and the fields the result definition names in
`verify_fields` (the child's name and date of birth on a birth certificate), so that whoever
is shown a paper copy can compare what it says. Never the applicant's ID number, phone or
address.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from district_portal.eform.display import display_value
from district_portal.eform.specs import procedure_specs
from district_portal.models import Attachment, Dossier, User
from district_portal.services import storage
from district_portal.services.documents import registers, signing
from district_portal.services.documents.signing import SignatureCheck
from district_portal.services.dossiers.workflow import RESULT_STATUSES
from district_portal.services.errors import ServiceError
from district_portal.text import format_datetime

ISSUED = RESULT_STATUSES  # a result exists once `complete` has run
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
TAIL = 2048  # bytes at the end of a PDF where %%EOF must be


class VerifyError(ServiceError):
    """An upload that cannot be checked; `message` is shown, `status` is the HTTP status."""


@dataclass(frozen=True, kw_only=True)
class ShownField:
    """One field of the document as /verify shows it: its label and its value as printed."""

    label: str
    value: str


@dataclass(frozen=True, kw_only=True)
class IssuedDocument:
    office: str
    issued_at: str
    procedure: str
    result_name: str
    sha256: str
    signed: bool  # a signed scan of the paper result
    code: str
    applicant: str  # masked
    signature: SignatureCheck | None = None  # the office's digital signature, if any
    number: str = ""  # "15/2026", or "" for a result issued without a register number
    book: str = ""  # "01/2026" where the procedure keeps a register book
    issued_by: str = ""  # the leader who issued it
    fields: tuple[ShownField, ...] = ()


def mask_name(name: str | None) -> str:
    """'Nguyễn Thị Hằng' → 'Nguyễn T. H***': the family name, initials for the middle names,
    the first letter of the given name."""
    words = (name or "").split()
    if not words:
        return ""
    given = words[-1][:1] + "***"
    if len(words) == 1:
        return given
    middles = [w[:1] + "." for w in words[1:-1]]
    return " ".join([words[0], *middles, given])


def _issued(dossier: Dossier | None, content: bytes | None = None) -> IssuedDocument | None:
    if dossier is None or dossier.status not in ISSUED:
        return None
    result = dossier.result or {}
    if not result.get("sha256"):
        return None
    data = dossier.procedure_version.data
    office = dossier.handling_office or dossier.receiving_office
    register = registers.entry_from(result)
    return IssuedDocument(
        office=office.name if office else "", issued_at=format_datetime(dossier.completed_at),
        procedure=data["name"], result_name=(data.get("result") or {}).get("name") or "",
        sha256=result["sha256"], signed=bool(result.get("signed")), code=dossier.code or "",
        applicant=mask_name((dossier.applicant or {}).get("name")),
        signature=_signature(result, content),
        number=register.number_text if register else "",
        book=register.book_text if register else "", issued_by=_leader_name(dossier),
        fields=shown_fields(dossier))


def shown_fields(dossier: Dossier) -> tuple[ShownField, ...]:
    """The answers the result definition's `verify_fields` names, as the document prints
    them (an option's label, a date as dd/mm/yyyy); a field left empty is not shown."""
    data = dossier.procedure_version.data
    specs = {spec.key: spec for spec in procedure_specs(data)}
    answers = dossier.answers or {}
    shown = []
    for key in (data.get("result") or {}).get("verify_fields") or ():
        spec = specs.get(key)
        value = display_value(spec, answers.get(key)) if spec is not None else ""
        if value:
            shown.append(ShownField(label=spec.label, value=value))
    return tuple(shown)


def _leader_name(dossier: Dossier) -> str:
    public_id = (dossier.result or {}).get("issued_by")
    if not public_id:
        return ""
    leader = object_session(dossier).scalar(select(User).where(User.public_id == public_id))
    return leader.full_name if leader is not None else ""


def _signature(result: dict, content: bytes | None) -> SignatureCheck | None:
    """The digital signature of an issued result, checked on `content` (the uploaded file) or
    on the stored file; None for a result issued without one."""
    if not result.get("digitally_signed"):
        return None
    if content is None:
        path = storage.path_of(current_app.config["UPLOAD_DIR"], result["sha256"])
        if not path.is_file():
            return None
        content = path.read_bytes()
    return signing.check_signature(content)


def by_token(session: Session, token: str) -> IssuedDocument | None:
    """The issued result whose QR code carries `token`, or None (also before it is issued)."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    return _issued(session.scalar(select(Dossier).where(Dossier.verification_token == token)))


def by_sha256(session: Session, sha256: str, content: bytes | None = None
              ) -> IssuedDocument | None:
    """The issued result whose file has this SHA-256 (its signature checked on `content`
    when given), or None."""
    dossiers = session.scalars(
        select(Dossier).join(Attachment, Attachment.dossier_id == Dossier.id)
        .where(Attachment.kind == "result", Attachment.stored_name == sha256,
               Dossier.status.in_(ISSUED)))
    for dossier in dossiers:
        if (dossier.result or {}).get("sha256") == sha256:
            return _issued(dossier, content)
    return None


def check_upload(session: Session, stream, max_bytes: int) -> tuple[str, IssuedDocument | None]:
    """Hash an uploaded PDF (never stored) and find the issued result it is, with its
    signature checked on the uploaded bytes; VerifyError for what is not a PDF."""
    sha256 = hash_pdf(stream, max_bytes)
    stream.seek(0)
    return sha256, by_sha256(session, sha256, stream.read(max_bytes + 1))


def hash_pdf(stream, max_bytes: int) -> str:
    """The SHA-256 of an uploaded PDF, read in chunks and never stored; refuses empty,
    oversized and non-PDF content."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""
    while chunk := stream.read(storage.CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise VerifyError(_l("The file is larger than %(mb)d MB; an issued result is "
                                 "smaller than that.", mb=max_bytes // 1048576), 413)
        if len(head) < 16:
            head = (head + chunk)[:16]
        tail = (tail + chunk)[-TAIL:]
        digest.update(chunk)
    if size == 0:
        raise VerifyError(_l("The file is empty. Choose the PDF file again."))
    if storage.sniff(head) != "application/pdf" or b"%%EOF" not in tail:
        raise VerifyError(_l("Only PDF files can be checked. This file is something else, "
                             "whatever its name says."))
    return digest.hexdigest()
