"""`portal purge`: abandoned drafts, and stored or temporary files nothing names.

Drafts untouched for N days are deleted with their files' rows (a draft is invisible to staff
and never counted, so nothing else refers to it). A submitted dossier is never touched: the
query asks for status draft, and the delete asks again. Then every stored file that no row
names, and every temporary upload file, older than a grace period is deleted: the grace keeps
the files of uploads still in flight (stored, not yet committed) safe.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from district_portal.models import (
    Attachment,
    Dossier,
    DossierEvent,
    DossierStatus,
    Notification,
    Payment,
)
from district_portal.models.types import utcnow
from district_portal.services import storage

BATCH = 500


@dataclass
class PurgeReport:
    drafts: int = 0
    files: int = 0
    temporary: int = 0
    bytes: int = 0
    errors: list[str] = field(default_factory=list)


def abandoned_drafts(session: Session, days: int, now: datetime | None = None) -> list[int]:
    """Ids of drafts not changed for `days` days (and with no payment attempt)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return list(session.scalars(
        select(Dossier.id).where(Dossier.status == DossierStatus.DRAFT,
                                 Dossier.updated_at < cutoff,
                                 ~exists().where(Payment.dossier_id == Dossier.id))
        .order_by(Dossier.id)))


def delete_drafts(session: Session, ids: list[int], report: PurgeReport) -> None:
    """Delete these drafts and their rows; flushes, never commits."""
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        drafts = select(Dossier.id).where(Dossier.id.in_(batch),
                                          Dossier.status == DossierStatus.DRAFT)
        session.execute(delete(Attachment).where(Attachment.dossier_id.in_(drafts)))
        session.execute(delete(DossierEvent).where(DossierEvent.dossier_id.in_(drafts)))
        session.execute(update(Notification).where(Notification.dossier_id.in_(drafts))
                        .values(dossier_id=None))
        result = session.execute(delete(Dossier).where(
            Dossier.id.in_(batch), Dossier.status == DossierStatus.DRAFT)
            .execution_options(synchronize_session=False))
        report.drafts += result.rowcount
    session.flush()


def delete_unnamed_files(session: Session, upload_dir: str, grace: timedelta,
                         report: PurgeReport) -> None:
    """Delete stored files no attachment names and temporary files, older than `grace`."""
    cutoff = time.time() - grace.total_seconds()
    stored, temporary = storage.stored_files(upload_dir)
    for path in temporary:
        _unlink_if_old(path, cutoff, report, temporary=True)
    old = [(sha, path) for sha, path in stored if _mtime(path) < cutoff]
    for start in range(0, len(old), BATCH):
        batch = dict(old[start:start + BATCH])
        named = set(session.scalars(select(Attachment.stored_name)
                                    .where(Attachment.stored_name.in_(list(batch)))))
        for sha in batch.keys() - named:
            _unlink_if_old(batch[sha], cutoff, report, temporary=False)


def _mtime(path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _unlink_if_old(path, cutoff: float, report: PurgeReport, *, temporary: bool) -> None:
    try:
        stat = path.stat()
        if stat.st_mtime >= cutoff:
            return
        path.unlink()
    except FileNotFoundError:  # gone meanwhile (an upload finished or failed)
        return
    except OSError as exc:
        report.errors.append(f"{path}: {exc}")
        return
    report.bytes += stat.st_size
    if temporary:
        report.temporary += 1
    else:
        report.files += 1
