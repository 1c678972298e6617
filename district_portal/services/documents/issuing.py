"""Results: prepared by an officer or leader (rendered from the template, or a signed scan),
issued by the leader through the workflow's `complete`. Verbs that flush, never commit.

The verification token exists before the result is rendered, so the QR code printed on it
points to /verify/<token>. A prepared result is an Attachment of kind "result" stored under
its SHA-256; the latest one is what the leader issues.
"""

from __future__ import annotations

import io
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.models import Attachment, Dossier, DossierEvent, User
from district_portal.models.types import utcnow
from district_portal.services import storage
from district_portal.services.documents import registers, results, signing
from district_portal.services.dossiers import queues
from district_portal.services.dossiers.workflow import (
    RESULT_STATUSES,
    Action,
    can,
    perform,
    statuses_from,
)
from district_portal.services.errors import ServiceError

# A result is prepared while it can be issued (the statuses `complete` starts from).
PREPARABLE = statuses_from(Action.COMPLETE)
RENDERED, SCAN = "rendered", "scan"
RESULT_KIND = "result"
# Attachment.document_key of a prepared result: catalogue keys never hold a hyphen, so these
# never collide with an applicant's document.
KEY_PREFIX = "result-"
# Prepare the rendered result twice within this many seconds (a double click) and the second
# gets the first's.
REPEAT_SECONDS = 10


class IssuingError(ServiceError):
    """A result that cannot be prepared; `message` is shown as it is, with `status`."""


def has_template(dossier: Dossier) -> bool:
    return bool(((dossier.procedure_version.data or {}).get("result") or {}).get("template"))


def way_of(attachment: Attachment) -> str:
    """'rendered' or 'scan': how a prepared result was made."""
    return attachment.document_key.removeprefix(KEY_PREFIX)


def prepared_result(dossier: Dossier) -> Attachment | None:
    """The latest prepared result (the one the leader issues), or None."""
    prepared = [a for a in dossier.attachments if a.kind == RESULT_KIND]
    return prepared[-1] if prepared else None


def issued_attachment(dossier: Dossier) -> Attachment | None:
    """The attachment the dossier's issued result names, if its content still matches."""
    result = dossier.result or {}
    return next((a for a in dossier.attachments if a.kind == RESULT_KIND
                 and a.public_id == result.get("attachment")
                 and a.stored_name == result.get("sha256")), None)


def is_preparable(dossier: Dossier) -> bool:
    """The dossier is being processed: a result can be prepared (and then issued)."""
    return dossier.status in PREPARABLE


def is_issued(dossier: Dossier) -> bool:
    """The result has been issued (`complete` has run)."""
    return dossier.status in RESULT_STATUSES


def _check_preparable(dossier: Dossier) -> None:
    if not is_preparable(dossier):
        raise IssuingError(_l("A result can be prepared only while the dossier is being "
                              "processed."), 409)


def preview(dossier: Dossier) -> bytes:
    """The rendered result as it would be issued, without storing anything (GET-safe).

    Before a token exists the QR code carries a throwaway one, which /verify does not know."""
    return results.render_result(dossier, token=dossier.verification_token
                                 or secrets.token_urlsafe(16))


def prepare_rendered(session: Session, dossier: Dossier, actor: User) -> Attachment:
    """Render the procedure's result template to PDF and store it as the prepared result.

    The token is created first so the QR code points to /verify/<token>; if the template fails
    (ResultTemplateError) nothing is stored and the dossier is unchanged."""
    _check_preparable(dossier)
    if not has_template(dossier):
        raise IssuingError(_l("This procedure has no result template: upload the signed "
                              "scan instead."))
    recent = _recently_prepared(session, dossier)
    if recent is not None:  # a double click: the result the first click prepared
        return recent
    token = dossier.verification_token or secrets.token_urlsafe(16)
    pdf = results.render_result(dossier, token=token)
    dossier.verification_token = token
    return _store(session, dossier, actor, io.BytesIO(pdf), RENDERED)


def _recently_prepared(session: Session, dossier: Dossier) -> Attachment | None:
    """The result rendered for this dossier in the last few seconds, if any. The dossier's
    row is locked first, so two clicks at once take turns and the second finds the first's."""
    session.flush()
    session.refresh(dossier, with_for_update=True)
    since = utcnow() - timedelta(seconds=REPEAT_SECONDS)
    return session.scalar(
        select(Attachment).where(Attachment.dossier_id == dossier.id,
                                 Attachment.kind == RESULT_KIND,
                                 Attachment.document_key == KEY_PREFIX + RENDERED,
                                 Attachment.created_at >= since)
        .order_by(Attachment.id.desc()).limit(1))


def prepare_scan(session: Session, dossier: Dossier, actor: User, upload) -> Attachment:
    """Store an uploaded signed scan (PDF only, checked by its content) as the prepared result."""
    _check_preparable(dossier)
    if upload is None or not getattr(upload, "filename", None):
        raise IssuingError(_l("Choose the signed scan (a PDF file)."))
    stream = upload.stream
    head = stream.read(16)
    stream.seek(0)
    if head and storage.sniff(head) != "application/pdf":
        raise IssuingError(_l("The signed scan must be a PDF file. This file is something "
                              "else, whatever its name says."))
    attachment = _store(session, dossier, actor, stream, SCAN)
    dossier.verification_token = dossier.verification_token or secrets.token_urlsafe(16)
    return attachment


def _store(session, dossier, actor, stream, way: str, touch: bool = True) -> Attachment:
    first = touch and prepared_result(dossier) is None  # a new arrival in "Chờ ban hành"
    try:
        stored = storage.store(current_app.config["UPLOAD_DIR"], stream,
                               current_app.config["MAX_UPLOAD_BYTES"])
    except storage.UploadError as exc:
        raise IssuingError(exc.message, exc.status) from None
    if stored.content_type != "application/pdf":
        raise IssuingError(_l("The signed scan must be a PDF file. This file is something "
                              "else, whatever its name says."))
    if touch and way == SCAN:  # the same scan sent twice (a double click) is one result
        session.flush()
        session.refresh(dossier, with_for_update=True)
        latest = session.scalar(select(Attachment).where(
            Attachment.dossier_id == dossier.id, Attachment.kind == RESULT_KIND)
            .order_by(Attachment.id.desc()).limit(1))
        if latest is not None and latest.stored_name == stored.sha256:
            return latest
    attachment = Attachment(
        dossier=dossier, document_key=KEY_PREFIX + way, kind=RESULT_KIND,
        original_name=f"ket-qua-{dossier.code}.pdf", stored_name=stored.sha256,
        content_type=stored.content_type, size=stored.size,
        uploader_id=actor.id if actor else None)
    session.add(attachment)
    if touch:  # not when issuing: the leader's form carries the dossier's version
        dossier.updated_at = utcnow()
    session.flush()
    if first:
        queues.announce_result_waiting(session, dossier)
    return attachment


def issue(session: Session, dossier: Dossier, leader: User,
          expected_version: int | None = None) -> DossierEvent:
    """Issue the prepared result: `complete` through the workflow (leader of the handling
    office only; WorkflowError otherwise, and nothing changes).

    A rendered result is rendered once more as issued: with its register number, taken here
    in the same transaction (gap-free, see registers.py), the issuing leader's name and
    position and the day of issue. A signed scan carries the number written on paper. When
    the handling office has a signing certificate, the issued file is signed with it (PAdES),
    and the result's SHA-256 is that of the signed file."""
    attachment = prepared_result(dossier)
    result = None
    if attachment is not None:
        way = way_of(attachment)
        register = None
        digitally_signed = False
        if can(leader, dossier, Action.COMPLETE):
            if way == RENDERED:
                register, attachment = _render_issued(session, dossier, leader)
            attachment, digitally_signed = _signed(session, dossier, attachment, leader)
        result = {"kind": way, "sha256": attachment.stored_name,
                  "attachment": attachment.public_id, "signed": way == SCAN,
                  "digitally_signed": digitally_signed,
                  "issued_by": leader.public_id if leader else None}
        if register is not None:
            result["register"] = register.as_dict()
    return perform(session, dossier, Action.COMPLETE, leader,
                   expected_version=expected_version, result=result)


def _render_issued(session: Session, dossier: Dossier, leader: User
                   ) -> tuple[registers.RegisterEntry, Attachment]:
    now = utcnow()
    definition = dossier.procedure_version.data.get("result") or {}
    office = dossier.handling_office or dossier.receiving_office
    register = registers.allocate(session, office, dossier.procedure, now,
                                  book=bool(definition.get("register_book")))
    pdf = results.render_result(dossier, token=dossier.verification_token, register=register,
                                leader=leader, issued_at=now)
    return register, _store(session, dossier, leader, io.BytesIO(pdf), RENDERED, touch=False)


def _signed(session: Session, dossier: Dossier, attachment: Attachment,
            leader: User) -> tuple[Attachment, bool]:
    """The result signed by its office, stored as the result to issue, and True; the
    attachment itself and False when the office has no certificate."""
    office = dossier.handling_office or dossier.receiving_office
    if signing.certificate_for(office) is None:
        return attachment, False
    path = storage.path_of(current_app.config["UPLOAD_DIR"], attachment.stored_name)
    signed = signing.sign_pdf(path.read_bytes(), office)
    stored = _store(session, dossier, leader, io.BytesIO(signed), way_of(attachment),
                    touch=False)
    return stored, True
