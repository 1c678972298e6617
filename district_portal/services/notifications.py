"""The notification outbox: rows are written in the request's transaction and sent after
commit by `portal send-notifications`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from district_portal.models import Dossier, Notification


def queue(session: Session, *, channel: str, recipient: str, text: str,
          subject: str | None = None, dossier: Dossier | None = None) -> Notification:
    """Write one outbox row (email, sms or webhook); nothing is sent before commit."""
    note = Notification(channel=channel, recipient=recipient, text=text, subject=subject,
                        dossier_id=dossier.id if dossier is not None else None)
    session.add(note)
    return note


def notify_applicant(session: Session, dossier: Dossier, subject: str, text: str) -> None:
    """Queue an SMS to the applicant's phone and, when known, an email."""
    applicant = dossier.applicant or {}
    if dossier.applicant_phone:
        queue(session, channel="sms", recipient=dossier.applicant_phone, text=text,
              dossier=dossier)
    if applicant.get("email"):
        queue(session, channel="email", recipient=applicant["email"], subject=subject,
              text=text, dossier=dossier)
