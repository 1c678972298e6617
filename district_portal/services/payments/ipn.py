"""VNPay's server-to-server notification (IPN), checked exactly as DESIGN.md §6 orders it:
signature → order → amount → still pending; then the outcome is recorded once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from district_portal.services.payments import attempts, vnpay
from district_portal.services.payments.attempts import Outcome

MESSAGES = {
    Outcome.RECORDED: "Confirm Success",
    Outcome.NOT_FOUND: "Order not found",
    Outcome.ALREADY: "Order already confirmed",
    Outcome.BAD_AMOUNT: "Invalid amount",
    Outcome.BAD_SIGNATURE: "Invalid signature",
    Outcome.OTHER: "Unknown error",
}
REQUIRED = ("vnp_TxnRef", "vnp_Amount", "vnp_ResponseCode", "vnp_TransactionStatus")


def answer(code: str) -> dict:
    return {"RspCode": code, "Message": MESSAGES[code]}


def handle_vnpay_ipn(session: Session, args, now: datetime | None = None) -> dict:
    """VNPay's JSON answer for one notification (`args`: the request's MultiDict).

    00 once the outcome (paid or failed) is recorded; 01 unknown order; 02 already settled (a
    replay changes nothing); 04 wrong amount; 97 bad, missing or duplicated signature or
    parameters; 99 anything else. Never raises for bad input.
    """
    settings = vnpay.settings(current_app.config)
    params = vnpay.single_values(args)
    if settings is None:
        return answer(Outcome.OTHER)
    if params is None or not vnpay.verify(params, settings.hash_secret):
        return answer(Outcome.BAD_SIGNATURE)
    if any(not params.get(name) for name in REQUIRED) or \
            params.get("vnp_TmnCode") != settings.tmn_code:
        return answer(Outcome.OTHER)
    payment = attempts.find_by_txn_ref(session, params["vnp_TxnRef"])
    if payment is None:
        return answer(Outcome.NOT_FOUND)
    if not _amount_matches(params["vnp_Amount"], payment.amount):
        return answer(Outcome.BAD_AMOUNT)
    if payment.state != attempts.P.PENDING:
        return answer(Outcome.ALREADY)
    paid = params["vnp_ResponseCode"] == "00" and params["vnp_TransactionStatus"] == "00"
    code = attempts.settle(session, payment, paid=paid, txn_no=params.get("vnp_TransactionNo"),
                           answer=_kept(params), now=now)
    return answer(code)


def _amount_matches(raw: str, amount: int) -> bool:
    """vnp_Amount is VND × 100 as plain ASCII digits; compared as integers, never floats."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 18 and int(raw) == amount * 100


def _kept(params: Mapping[str, str]) -> dict:
    """The provider's answer as stored (vnp_* only, bounded)."""
    return {k: str(v)[:300] for k, v in params.items() if k.startswith("vnp_")}


def return_status(session: Session, args) -> tuple[str, object]:
    """What the return page may say, from our own record only: 'paid', 'failed', 'expired',
    'waiting' (pending, whatever the URL claims: only the IPN settles a payment) or 'invalid'
    (bad signature or unknown order). Changes nothing."""
    settings = vnpay.settings(current_app.config)
    params = vnpay.single_values(args)
    if settings is None or params is None or not vnpay.verify(params, settings.hash_secret):
        return "invalid", None
    payment = attempts.find_by_txn_ref(session, params.get("vnp_TxnRef") or "")
    if payment is None:
        return "invalid", None
    if payment.state == attempts.P.PENDING:
        return "waiting", payment
    return str(payment.state), payment
