"""Payment attempts: who may pay what, starting an online attempt, settling one (the IPN or
the query API), and a desk payment. Verbs that flush, never commit."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from district_portal.models import Dossier, Payment, PaymentState, ReceiptCounter, User
from district_portal.models.types import utcnow
from district_portal.services import notifications
from district_portal.services.dossiers.workflow import (
    TRANSITIONS,
    Action,
    WorkflowError,
    perform,
)
from district_portal.services.errors import ServiceError
from district_portal.services.payments import vnpay
from district_portal.text import LOCAL_TZ, format_money

log = logging.getLogger(__name__)
P = PaymentState


class PaymentError(ServiceError):
    """A payment refused: nothing to pay, online payment off, wrong amount at the desk."""


# --- questions ------------------------------------------------------------------------------


def payable(dossier: Dossier) -> bool:
    """A fee is due and the workflow's `pay` row allows paying it now."""
    return bool(dossier.fee) and dossier.fee > 0 and dossier.payment_state != "paid" and \
        dossier.status in TRANSITIONS[Action.PAY].frm


def online_available() -> bool:
    return vnpay.settings(current_app.config) is not None


def payments_of(session: Session, dossier: Dossier) -> list[Payment]:
    """Every attempt of a dossier, oldest first."""
    return list(session.scalars(select(Payment).where(Payment.dossier_id == dossier.id)
                                .order_by(Payment.id)))


def pending_of(session: Session, dossier: Dossier) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.dossier_id == dossier.id,
                                                Payment.state == P.PENDING))


def find_by_txn_ref(session: Session, txn_ref: str, provider: str = "vnpay") -> Payment | None:
    if not txn_ref or len(txn_ref) > 100:
        return None
    return session.scalar(select(Payment).where(Payment.txn_ref == txn_ref,
                                                Payment.provider == provider))


def payment_request_text(dossier: Dossier) -> str:
    """The SMS and email line that asks for the fee: how much, and where to pay online."""
    return str(_l("Dossier %(code)s: please pay the fee of %(amount)s. Pay online: %(url)s",
                  code=dossier.code, amount=format_money(dossier.fee),
                  url=_dossier_url(dossier)))


def _dossier_url(dossier: Dossier) -> str:
    """A short link (it must fit in one SMS): /pay/<tracking code>, which sends the logged-in
    owner to the dossier page."""
    return current_app.config["BASE_URL"].rstrip("/") + f"/pay/{dossier.ref}"



# --- starting an online payment -------------------------------------------------------------


def start_online_payment(session: Session, dossier: Dossier, ip: str,
                         now: datetime | None = None) -> tuple[Payment, str]:
    """The pending attempt of `dossier` and the provider URL to send the resident to.

    A still-valid pending attempt is reused (a double click or a second tab pays the same
    attempt); an out-of-date one is expired first. Two simultaneous clicks make one attempt:
    the partial unique index on pending attempts refuses the second, which then reuses the
    first.
    """
    now = now or utcnow()
    settings = vnpay.settings(current_app.config)
    if settings is None:
        raise PaymentError(_l("Online payment is not available at the moment. Pay at the "
                              "office's desk."), 503)
    if not payable(dossier):
        raise PaymentError(_l("This dossier has nothing to pay now."), 409)
    pending = pending_of(session, dossier)
    if pending is not None and pending.amount == dossier.fee and pending.expires_at and \
            pending.expires_at > now + timedelta(minutes=1):
        return pending, vnpay.pay_url(settings, pending.raw["request"])
    if pending is not None:
        _close(session, pending, P.EXPIRED, now)
    minutes = int(current_app.config.get("PAYMENT_EXPIRY_MINUTES", 15))
    txn_ref = vnpay.new_txn_ref(now)
    params = vnpay.pay_params(
        settings, txn_ref=txn_ref, amount=int(dossier.fee),
        order_info=f"Thanh toan le phi ho so {dossier.code}",
        return_url=url_for("payments.vnpay_return", _external=False),
        ip=ip, created=now, expires=now + timedelta(minutes=minutes))
    params["vnp_ReturnUrl"] = current_app.config["BASE_URL"].rstrip("/") + \
        params["vnp_ReturnUrl"]
    payment = Payment(dossier_id=dossier.id, provider="vnpay", txn_ref=txn_ref,
                      amount=int(dossier.fee), state=P.PENDING, raw={"request": params},
                      created_at=now, updated_at=now, expires_at=now + timedelta(minutes=minutes))
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:
        # Another click created the pending attempt first: pay that one.
        pending = pending_of(session, dossier)
        if pending is None:
            raise
        return pending, vnpay.pay_url(settings, pending.raw["request"])
    return payment, vnpay.pay_url(settings, params)


def _close(session: Session, payment: Payment, state: str, now: datetime, **values) -> bool:
    """Move a pending attempt to `state` unless someone did first (rowcount decides)."""
    result = session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.state == P.PENDING)
        .values(state=state, updated_at=now, **values)
        .execution_options(synchronize_session=False))
    session.refresh(payment)
    return result.rowcount == 1


# --- settling (IPN and query API) ------------------------------------------------------------


class Outcome:
    RECORDED = "00"
    NOT_FOUND = "01"
    ALREADY = "02"
    BAD_AMOUNT = "04"
    BAD_SIGNATURE = "97"
    OTHER = "99"


def settle(session: Session, payment: Payment, *, paid: bool, txn_no: str | None,
           answer: dict, now: datetime | None = None) -> str:
    """Record the provider's outcome of a pending attempt exactly once; when paid, the
    workflow's `pay` runs in the same transaction and the e-receipt number is given.

    Returns an Outcome code: RECORDED, ALREADY (someone settled it first: nothing changes) or
    OTHER (the payment cannot be recorded: the transaction number is already used, or the
    dossier can no longer be paid; nothing changes and the attempt stays pending for staff).
    """
    now = now or utcnow()
    raw = {**(payment.raw or {}), "answer": dict(answer)}
    values = {"raw": raw, "provider_txn_no": (txn_no or None)}
    if paid:
        values["paid_at"] = now
    try:
        with session.begin_nested():
            if not _close(session, payment, P.PAID if paid else P.FAILED, now, **values):
                return Outcome.ALREADY
            if paid:
                _after_paid(session, payment, None, now)
    except (IntegrityError, WorkflowError, StaleDataError) as exc:
        log.warning("payment %s cannot be recorded: %s", payment.txn_ref, exc)
        session.expire_all()
        return Outcome.OTHER
    return Outcome.RECORDED


def _after_paid(session: Session, payment: Payment, actor: User | None, now: datetime) -> None:
    dossier = session.get(Dossier, payment.dossier_id)
    if actor is None:
        perform(session, dossier, Action.PAY, None, system=True, payment=payment.txn_ref,
                now=now)
    issue_receipt_number(session, payment, dossier, now)
    notifications.notify_applicant(
        session, dossier, str(_l("Fee received")),
        str(_l("Dossier %(code)s: the fee of %(amount)s has been received, receipt no. "
               "%(number)s.", code=dossier.code, amount=format_money(payment.amount),
               number=receipt_label(payment))))


def expire(session: Session, payment: Payment, answer: dict | None = None,
           now: datetime | None = None) -> bool:
    """An abandoned attempt: it can no longer be paid; a new attempt must be started."""
    now = now or utcnow()
    raw = {**(payment.raw or {}), **({"answer": answer} if answer else {})}
    return _close(session, payment, P.EXPIRED, now, raw=raw)


# --- the desk ----------------------------------------------------------------------------------


def record_desk_payment(session: Session, dossier: Dossier, clerk: User, amount: int, *,
                        expected_version: int | None = None,
                        now: datetime | None = None) -> Payment:
    """A clerk took the fee in cash at the desk: the workflow's `pay` (which refuses a
    dossier already paid or not payable now), a paid Payment(provider="desk") and its
    e-receipt number. The amount received must equal the fee."""
    now = now or utcnow()
    if not dossier.fee or dossier.fee <= 0:
        raise WorkflowError(_l("This dossier has no fee to pay."))
    if not isinstance(amount, int) or amount != dossier.fee:
        raise WorkflowError(_l("The amount received must equal the fee: %(fee)s.",
                               fee=format_money(dossier.fee)), 400)
    txn_ref = "Q" + vnpay.new_txn_ref(now)
    perform(session, dossier, Action.PAY, clerk, expected_version=expected_version,
            payment=txn_ref, now=now)
    pending = pending_of(session, dossier)
    if pending is not None:  # an online attempt left open can no longer be paid
        expire(session, pending, now=now)
    payment = Payment(dossier_id=dossier.id, provider="desk", txn_ref=txn_ref, amount=amount,
                      state=P.PAID, raw={"received": amount}, created_at=now, updated_at=now,
                      paid_at=now, recorded_by_id=clerk.id)
    session.add(payment)
    session.flush()
    _after_paid(session, payment, clerk, now)
    return payment


# --- e-receipt numbers ------------------------------------------------------------------------


def issue_receipt_number(session: Session, payment: Payment, dossier: Dossier,
                         now: datetime) -> None:
    """Give `payment` the next receipt number of its collecting office (the receiving office)
    for the local year: an upsert that locks the counter row until the transaction ends, so
    numbers are gap-free and unique under concurrency on both engines."""
    office_id = dossier.receiving_office_id
    year = now.astimezone(LOCAL_TZ).year
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(ReceiptCounter).values(office_id=office_id, year=year, last_number=1)
        .on_conflict_do_update(index_elements=["office_id", "year"],
                               set_={"last_number": ReceiptCounter.last_number + 1})
        .returning(ReceiptCounter.last_number)
    )
    number = session.execute(stmt).scalar_one()
    payment.receipt_office_id = office_id
    payment.receipt_year = year
    payment.receipt_number = number
    session.flush()


def receipt_label(payment: Payment) -> str:
    """'0000015/2026'."""
    if payment.receipt_number is None:
        return ""
    return f"{payment.receipt_number:07d}/{payment.receipt_year}"
