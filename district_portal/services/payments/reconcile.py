"""Reconciliation: attempts pending too long are re-checked through VNPay's query API
(`portal payments-reconcile`); paid ones are recorded, abandoned ones expired.

The command reads the candidates, asks VNPay outside any transaction, and settles each one
in a short transaction of its own: a network wait never holds a lock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.models import Payment
from district_portal.models.types import utcnow
from district_portal.services.payments import attempts, vnpay
from district_portal.services.payments.attempts import Outcome

NOT_FOUND = "91"  # querydr: no such transaction at VNPay
INCOMPLETE = "01"  # TransactionStatus: the resident has not finished paying


@dataclass(frozen=True)
class Candidate:
    txn_ref: str
    create_date: str  # the attempt's vnp_CreateDate


@dataclass
class Report:
    checked: int = 0
    paid: int = 0
    failed: int = 0
    expired: int = 0
    left: int = 0
    errors: list[str] = field(default_factory=list)


def candidates(session: Session, older_than_minutes: int, now: datetime | None = None,
               limit: int = 500) -> list[Candidate]:
    """VNPay attempts still pending, created more than `older_than_minutes` ago."""
    cutoff = (now or utcnow()) - timedelta(minutes=older_than_minutes)
    rows = session.scalars(select(Payment).where(
        Payment.provider == "vnpay", Payment.state == attempts.P.PENDING,
        Payment.created_at < cutoff).order_by(Payment.id).limit(limit))
    return [Candidate(p.txn_ref, (p.raw or {}).get("request", {}).get("vnp_CreateDate")
                      or vnpay.vn_time(p.created_at)) for p in rows]


def query(candidate: Candidate, now: datetime | None = None) -> dict:
    """Ask VNPay about one attempt (HTTP with a timeout; call it outside transactions)."""
    settings = vnpay.settings(current_app.config)
    if settings is None:
        raise vnpay.QueryError("online payment is not configured")
    body = vnpay.query_request(settings, txn_ref=candidate.txn_ref,
                               transaction_date=candidate.create_date, ip="127.0.0.1",
                               now=now or utcnow())
    return vnpay.post_query(settings, body)


def apply(session: Session, txn_ref: str, answer: dict, report: Report,
          now: datetime | None = None) -> None:
    """Settle one attempt from the query's (signature-checked) answer."""
    now = now or utcnow()
    report.checked += 1
    payment = attempts.find_by_txn_ref(session, txn_ref)
    if payment is None or payment.state != attempts.P.PENDING:
        return
    code, status = answer.get("vnp_ResponseCode"), answer.get("vnp_TransactionStatus")
    amount_ok = str(answer.get("vnp_Amount", "")) == str(payment.amount * 100)
    expired = payment.expires_at is not None and now > payment.expires_at
    if code == "00" and status == "00" and amount_ok:
        result = attempts.settle(session, payment, paid=True,
                                 txn_no=str(answer.get("vnp_TransactionNo") or "") or None,
                                 answer=answer, now=now)
        _count(report, result, "paid", txn_ref)
    elif code == "00" and status not in (INCOMPLETE, "00") and amount_ok:
        result = attempts.settle(session, payment, paid=False,
                                 txn_no=str(answer.get("vnp_TransactionNo") or "") or None,
                                 answer=answer, now=now)
        _count(report, result, "failed", txn_ref)
    elif expired and (code == NOT_FOUND or (code == "00" and status == INCOMPLETE)):
        if attempts.expire(session, payment, answer, now):
            report.expired += 1
    else:
        report.left += 1


def _count(report: Report, result: str, what: str, txn_ref: str) -> None:
    if result == Outcome.RECORDED:
        setattr(report, what, getattr(report, what) + 1)
    elif result == Outcome.OTHER:
        report.errors.append(f"{txn_ref}: cannot be recorded (see the log)")
