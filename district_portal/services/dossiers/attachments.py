"""A dossier's files: add one (checked, limited, once), remove one (only while it may go), and
delete the stored file when no row names it any more. Verbs that flush, never commit.

Files are stored under their SHA-256 (services/storage.py), so two rows may name one file: a
stored file is deleted only after the removing transaction commits, and only if no row names
it then. `portal purge` (services/dossiers/purge.py) removes what is left over anyway: files
of rolled-back requests and temporary files of uploads that were killed.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from district_portal.models import Attachment, Dossier, DossierStatus, User
from district_portal.models.types import utcnow
from district_portal.services import storage
from district_portal.services.errors import ServiceError

log = logging.getLogger(__name__)


class FilingError(ServiceError):
    """A filing step refused: bad upload, procedure not offered, document not needed."""


def find_attachment(dossier: Dossier, public_id: str) -> Attachment | None:
    return next((a for a in dossier.attachments if a.public_id == public_id), None)


def add_attachment(session: Session, dossier: Dossier, document_key: str, upload,
                   uploader: User | None, kind: str = "applicant") -> Attachment:
    """Store one uploaded file for one document; refuses unknown documents, other content than
    PDF/JPEG/PNG, and files or dossiers over the configured sizes and counts. The same file
    sent again for the same document (a double click, a resent form) is the same attachment:
    one row, counted once."""
    keys = {d["key"] for d in dossier.procedure_version.data.get("documents", [])}
    if document_key not in keys:
        raise FilingError(_l("This document is not part of the procedure."), 404)
    if upload is None or not getattr(upload, "filename", None):
        raise FilingError(_l("Choose a file to upload."), 400)
    config = current_app.config
    count, used = _lock_and_count(session, dossier)
    room = _check_room(config, count, used)
    try:
        stored = storage.store(config["UPLOAD_DIR"], upload.stream,
                               min(config["MAX_UPLOAD_BYTES"], room))
    except storage.UploadError as exc:
        if exc.status == 413 and room < config["MAX_UPLOAD_BYTES"]:
            raise FilingError(_l("This file would take the dossier over %(mb)d MB of files. "
                                 "Remove a file or send a smaller one.",
                                 mb=config["MAX_DOSSIER_BYTES"] // 1048576), 413) from None
        raise FilingError(exc.message, exc.status) from None
    same = session.scalar(select(Attachment).where(
        Attachment.dossier_id == dossier.id, Attachment.document_key == document_key,
        Attachment.stored_name == stored.sha256, Attachment.kind == kind).limit(1))
    if same is not None:
        return same
    attachment = Attachment(
        dossier=dossier, document_key=document_key,
        original_name=storage.sanitize_filename(upload.filename), stored_name=stored.sha256,
        content_type=stored.content_type, size=stored.size,
        uploader_id=uploader.id if uploader else None, kind=kind,
    )
    session.add(attachment)
    dossier.updated_at = utcnow()
    session.flush()
    return attachment


def _lock_and_count(session: Session, dossier: Dossier) -> tuple[int, int]:
    """Lock the dossier's row (uploads to one dossier take turns: a double click waits for the
    first and then finds its row), then count its files and bytes as committed."""
    session.flush()
    session.refresh(dossier, with_for_update=True)
    count, used = session.execute(
        select(func.count(Attachment.id), func.coalesce(func.sum(Attachment.size), 0))
        .where(Attachment.dossier_id == dossier.id, Attachment.kind != "result")).one()
    return int(count), int(used)


def _check_room(config, count: int, used: int) -> int:
    """The bytes a new file may take; FilingError if the dossier is full."""
    if count >= config["MAX_FILES_PER_DOSSIER"]:
        raise FilingError(_l("This dossier already holds %(n)d files, the most allowed. Remove "
                             "a file first, or put several pages in one PDF.",
                             n=config["MAX_FILES_PER_DOSSIER"]), 413)
    room = config["MAX_DOSSIER_BYTES"] - used
    if room <= 0:
        raise FilingError(_l("This dossier already holds %(mb)d MB of files, the most allowed. "
                             "Remove a file first.", mb=config["MAX_DOSSIER_BYTES"] // 1048576),
                          413)
    return room


def _open_round_started(dossier: Dossier):
    """When the open supplement round began (the latest request_supplement), or None."""
    if dossier.status != DossierStatus.SUPPLEMENT_REQUESTED:
        return None
    for event_ in reversed(dossier.events):
        if event_.action == "request_supplement":
            return event_.at
    return None


def may_remove(dossier: Dossier, attachment: Attachment) -> bool:
    """A draft's files, and the files sent in the open supplement round; nothing else: a file
    the office has received (with the dossier or in an earlier round) is evidence."""
    if dossier.status == DossierStatus.DRAFT:
        return True
    started = _open_round_started(dossier)
    return attachment.kind == "supplement" and started is not None and \
        attachment.created_at >= started


def remove_attachment(session: Session, dossier: Dossier, attachment: Attachment) -> None:
    """Remove a file that may go (see may_remove); its stored copy is deleted after commit
    when no other row names it."""
    if attachment.dossier_id != dossier.id:
        raise FilingError(_l("File not found."), 404)
    if not may_remove(dossier, attachment):
        raise FilingError(_l("The office has already received this file, so it stays with the "
                             "dossier. Only files sent in the current supplement can be "
                             "removed."), 409)
    sha = attachment.stored_name
    session.delete(attachment)
    dossier.attachments.remove(attachment)
    dossier.updated_at = utcnow()
    session.flush()
    delete_unreferenced_after_commit(session, current_app.config["UPLOAD_DIR"], [sha])


def delete_unreferenced_after_commit(session: Session, upload_dir: str,
                                     names: list[str]) -> None:
    """Once `session` commits, delete each stored file no row names any more."""
    bind = session.get_bind()
    query = select(Attachment.stored_name).where(Attachment.stored_name.in_(names))

    def discard(_session) -> None:
        try:
            if isinstance(bind, Connection):  # a session inside a larger transaction (tests)
                used = set(bind.scalars(query))
            else:
                with bind.connect() as conn:
                    used = set(conn.scalars(query))
            for sha in set(names) - used:
                storage.remove(upload_dir, sha)
        except (OSError, SQLAlchemyError) as exc:  # `portal purge` removes it later
            log.warning("could not delete unreferenced files %s: %s", names, exc)

    event.listen(session, "after_commit", discard, once=True)
