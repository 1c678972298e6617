"""The notification outbox: rows are written in the request's transaction and sent after
commit by `portal send-notifications`.

The sender never holds a transaction (or SQLite's write lock) across network I/O: it claims a
batch in one short transaction (state `sending`, with a lease in `next_attempt_at`), then
sends each message with nothing open and records each outcome in a short transaction of its
own. A sender killed mid-batch has marked what it sent; what it had claimed but not sent is
taken up again when the lease runs out. Every connection has a timeout and the run a
deadline; messages that failed after all retries stay in the table and can be requeued
(`portal notifications-requeue`), and staff pages show how many there are."""

from __future__ import annotations

import re
import smtplib
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote, urlencode

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from district_portal.models import Dossier, Notification
from district_portal.models.types import utcnow
from district_portal.text import strip_diacritics


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


# --- Sending -----------------------------------------------------------------------------

# Minutes to wait after the 1st, 2nd, … failed attempt; after the last one the row is failed.
BACKOFF_MINUTES = (1, 5, 30, 120, 720)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
SMS_MAX = 160
HTTP_TIMEOUT = 10  # seconds, each connection and each read (SMTP, SMS gateway), by default
# A claimed message is another sender's for this long; past it the sender is taken to have
# died and the message is sent again. Longer than the systemd unit's RuntimeMaxSec.
LEASE = timedelta(minutes=10)


class PermanentError(Exception):
    """Sending can never work (unknown channel or backend): fail at once, no retry."""


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    left: int = 0  # claimed but not tried before the run's deadline; released at once


def recent(session: Session, limit: int = 100) -> list[Notification]:
    """The newest outbox rows first, whatever their state (the development outbox page)."""
    return list(session.scalars(select(Notification).where(Notification.channel != "webhook")
                                .order_by(Notification.id.desc()).limit(limit)))


def log_channels(config) -> tuple[str, ...]:
    """The channels whose backend only writes a local log file (no network): safe to deliver
    right after a request in development."""
    return tuple(channel for channel, name in (("sms", "SMS_BACKEND"), ("email", "MAIL_BACKEND"))
                 if _setting(config, name, "log") == "log")


def for_applicant(session: Session, dossier: Dossier) -> list[Notification]:
    """What was sent (or is waiting) to the applicant about a dossier, oldest first; messages
    to staff about the same dossier are not theirs to read."""
    recipients = {dossier.applicant_phone, (dossier.applicant or {}).get("email")} - {None, ""}
    if not recipients:
        return []
    return list(session.scalars(
        select(Notification).where(Notification.dossier_id == dossier.id,
                                   Notification.recipient.in_(recipients))
        .order_by(Notification.id)))


def notify_staff(session: Session, dossier: Dossier, office, subject: str, text: str,
                 roles=("clerk", "leader"), extra=()) -> None:
    """Email the active staff of `office` holding one of `roles` (plus `extra` users), once
    each; staff without an email address are reached through the inbox alone."""
    from district_portal.models import User

    if office is None:
        return
    people = list(session.scalars(select(User).where(User.office_id == office.id,
                                                     User.active.is_(True))))
    chosen = {u.id: u for u in people if any(r in u.roles for r in roles)}
    chosen.update({u.id: u for u in extra if u is not None})
    for user in chosen.values():
        if user.email:
            queue(session, channel="email", recipient=user.email, subject=subject, text=text,
                  dossier=dossier)


def sms_text(text: str) -> str:
    """Fold to plain ASCII without diacritics (đ → d) and keep it within one 160-character
    SMS, cutting at a word boundary with '...'; cheap phones and gateways garble Unicode."""
    value = "".join(c if 32 <= ord(c) < 127 else " " for c in strip_diacritics(text))
    value = re.sub(r"\s+", " ", value).strip()
    if len(value) <= SMS_MAX:
        return value
    cut = value[: SMS_MAX - 3]
    if " " in cut[SMS_MAX // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "..."


def _setting(config, name: str, default=None):
    if isinstance(config, Mapping):
        return config.get(name, default)
    return getattr(config, name, default)


def _append(path: str, block: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(block)


def _send_sms(note: Notification, config, now: datetime) -> None:
    text = sms_text(note.text)
    backend = _setting(config, "SMS_BACKEND", "log")
    if backend == "log":
        _append(_setting(config, "SMS_LOG_FILE"), f"{now.isoformat()}\t{note.recipient}\t{text}\n")
    elif backend == "http":
        template = _setting(config, "SMS_HTTP_URL")
        if not template:
            raise PermanentError("SMS_HTTP_URL is not set")
        values = {"phone": note.recipient, "text": text,
                  "key": _setting(config, "SMS_HTTP_KEY") or ""}
        url = template.format(**{k: quote(v, safe="") for k, v in values.items()})
        data = None
        if str(_setting(config, "SMS_HTTP_METHOD", "GET")).upper() == "POST":
            data = urlencode(values).encode()
        req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
        timeout = float(_setting(config, "NOTIFY_TIMEOUT", HTTP_TIMEOUT))
        with urllib.request.urlopen(  # nosec B310 — the deployer's gateway URL, not user input
                req, timeout=timeout) as response:
            response.read(1024)  # urlopen raises HTTPError on 4xx/5xx
    else:
        raise PermanentError(f"unknown SMS backend {backend!r}")


def _send_email(note: Notification, config, now: datetime) -> None:
    backend = _setting(config, "MAIL_BACKEND", "log")
    sender = _setting(config, "MAIL_FROM", "no-reply@localhost")
    if backend == "log":
        _append(_setting(config, "MAIL_LOG_FILE"),
                f"Date: {now.isoformat()}\nFrom: {sender}\nTo: {note.recipient}\n"
                f"Subject: {note.subject or ''}\n\n{note.text}\n-----\n")
    elif backend == "smtp":
        message = EmailMessage()
        message["From"] = sender
        message["To"] = note.recipient
        message["Subject"] = note.subject or ""
        message.set_content(note.text)
        host, port = _setting(config, "SMTP_HOST"), int(_setting(config, "SMTP_PORT", 25))
        timeout = float(_setting(config, "NOTIFY_TIMEOUT", HTTP_TIMEOUT))
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            user = _setting(config, "SMTP_USER")
            if user:
                smtp.login(user, _setting(config, "SMTP_PASSWORD") or "")
            smtp.send_message(message)
    else:
        raise PermanentError(f"unknown mail backend {backend!r}")


def _send_webhook(note: Notification, config, now: datetime) -> None:
    from district_portal.services.api import webhooks

    webhooks.deliver(note, now, timeout=float(_setting(config, "WEBHOOK_TIMEOUT",
                                                       HTTP_TIMEOUT)))


SENDERS = {"sms": _send_sms, "email": _send_email, "webhook": _send_webhook}


def send_pending(session: Session, config, now: datetime | None = None,
                 limit: int = 100, channels: tuple[str, ...] | None = None, *,
                 checkpoint: Callable[[], None] | None = None,
                 deadline: float | None = None) -> SendReport:
    """Send up to `limit` due outbox rows (of `channels` only, when given). Each row ends sent
    (with sent_at), back to pending with its next attempt pushed out (1, 5, 30, 120, 720
    minutes), or failed after MAX_ATTEMPTS tries, with the error kept.

    `checkpoint` ends the caller's transaction (the CLI passes `session.commit`); it is
    called after the rows are claimed and after each outcome, so no transaction is open
    while a message is on the wire and each sent row is recorded before the next is sent.
    Rows are claimed (state `sending`, leased) so that a concurrent or later sender never
    sends them again; on PostgreSQL with FOR UPDATE SKIP LOCKED. Past `deadline` (a
    time.monotonic() value) no further row is tried and the unsent claims are released.
    Delivery is at least once only for the one message in flight when a sender dies."""
    checkpoint = checkpoint or session.flush
    now = now or utcnow()
    notes = _claim(session, now, limit, channels)
    checkpoint()
    report = SendReport()
    for position, note in enumerate(notes):
        if deadline is not None and time.monotonic() > deadline:
            _release(notes[position:], now)
            report.left = len(notes) - position
            checkpoint()
            break
        _record(note, _send(note, config, now), now, report)
        checkpoint()
    return report


def _claim(session: Session, now: datetime, limit: int,
           channels: tuple[str, ...] | None = None) -> list[Notification]:
    """Mark up to `limit` due rows as this sender's (pending ones, and those whose sender's
    lease ran out), loading what sending them needs so nothing is read while sending."""
    stmt = (select(Notification)
            .where(or_(Notification.state == "pending", Notification.state == "sending"),
                   Notification.next_attempt_at <= now)
            .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
    if channels is not None:
        stmt = stmt.where(Notification.channel.in_(channels))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    notes = list(session.scalars(stmt))
    for note in notes:
        note.state = "sending"
        note.next_attempt_at = now + LEASE
        note.attempts = (note.attempts or 0) + 1
        if note.channel == "webhook" and note.webhook_id:
            from district_portal.models import Webhook

            hook = session.get(Webhook, note.webhook_id)
            if hook is not None:
                _ = hook.api_key  # loaded now: deliver() reads it with no transaction open
    session.flush()
    return notes


def _release(notes: list[Notification], now: datetime) -> None:
    for note in notes:
        note.state = "pending"
        note.next_attempt_at = now
        note.attempts -= 1


def _send(note: Notification, config, now: datetime) -> Exception | None:
    """Send one row; the failure, if any (any failure of one row must not stop the others)."""
    try:
        sender = SENDERS.get(note.channel)
        if sender is None:
            raise PermanentError(f"no sender for channel {note.channel!r}")
        sender(note, config, now)
    except Exception as exc:
        return exc
    return None


def _record(note: Notification, failure: Exception | None, now: datetime,
            report: SendReport) -> None:
    if failure is None:
        note.state = "sent"
        note.sent_at = now
        note.error = None
        report.sent += 1
        return
    note.error = f"{type(failure).__name__}: {failure}"[:2000]
    if isinstance(failure, PermanentError) or note.attempts >= MAX_ATTEMPTS:
        note.state = "failed"
        report.failed += 1
    else:
        delay = BACKOFF_MINUTES[min(note.attempts, len(BACKOFF_MINUTES)) - 1]
        note.state = "pending"
        note.next_attempt_at = now + timedelta(minutes=delay)
        report.retried += 1


def failed_count(session: Session) -> int:
    """How many messages failed after all retries (or at once, permanently) and wait for a
    requeue: shown to staff as an alert."""
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.state == "failed")) or 0


def requeue_failed(session: Session, now: datetime | None = None) -> int:
    """Give every failed message a fresh set of tries, due now (after an outage of the mail
    server or SMS gateway); returns how many. Their last error is kept until they are sent."""
    result = session.execute(
        update(Notification).where(Notification.state == "failed")
        .values(state="pending", attempts=0, next_attempt_at=now or utcnow())
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
