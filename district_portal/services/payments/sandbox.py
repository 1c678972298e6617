"""The built-in sandbox gateway (on only with PORTAL_PAYMENT_SANDBOX=1, refused in production):
it plays VNPay's side with real signatures, so the fully-online flow runs locally and in tests.

It checks the payment URL's signature, lets a tester choose success, failure or cancel,
keeps what it decided (SandboxTransaction, as VNPay keeps its transactions), signs the IPN
and delivers it to the portal's own IPN handler in-process — after the sandbox's request has
committed, never inside a transaction — answers the query API, and can replay an IPN.
"""

from __future__ import annotations

import contextvars
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from district_portal.models import SandboxTransaction
from district_portal.models.types import utcnow
from district_portal.services.errors import ServiceError
from district_portal.services.payments import vnpay
from district_portal.text import LOCAL_TZ

OUTCOMES = {
    # outcome: (vnp_ResponseCode, vnp_TransactionStatus)
    "success": ("00", "00"),
    "failure": ("51", "02"),  # 51: not enough money in the account
    "cancel": ("24", "02"),  # 24: the customer cancelled; no transaction number
}
IPN_PATH = "/payments/vnpay/ipn"


class SandboxError(ServiceError):
    """A payment URL the sandbox refuses (bad signature, expired, already decided)."""


@dataclass(frozen=True)
class PayRequest:
    params: dict
    query: str
    amount: int  # đồng
    txn_ref: str
    order_info: str
    expires: str


def _settings() -> vnpay.Settings:
    s = vnpay.settings(current_app.config)
    if s is None or not s.sandbox:
        raise SandboxError("Cổng thanh toán thử nghiệm không được bật.", 404)
    return s


def read_request(query: str, now: datetime | None = None) -> PayRequest:
    """Check a payment URL's query string as VNPay would: signed, complete, not expired."""
    s = _settings()
    pairs = parse_qsl(query or "", keep_blank_values=True)
    params = dict(pairs)
    if len(params) != len(pairs) or not vnpay.verify(params, s.hash_secret):
        raise SandboxError("Sai chữ ký (vnp_SecureHash) hoặc tham số bị trùng.", 400)
    if params.get("vnp_TmnCode") != s.tmn_code or params.get("vnp_Command") != "pay" or \
            params.get("vnp_Version") != vnpay.VERSION:
        raise SandboxError("Thiếu hoặc sai tham số bắt buộc.", 400)
    amount = params.get("vnp_Amount", "")
    if not (amount.isdigit() and int(amount) % 100 == 0 and int(amount) > 0):
        raise SandboxError("Số tiền không hợp lệ.", 400)
    expires = params.get("vnp_ExpireDate", "")
    if not expires or vnpay.vn_time(now or utcnow()) > expires:
        raise SandboxError("Giao dịch đã quá thời gian chờ thanh toán.", 400)
    return PayRequest(params=params, query=query, amount=int(amount) // 100,
                      txn_ref=params.get("vnp_TxnRef", ""),
                      order_info=params.get("vnp_OrderInfo", ""), expires=expires)


def decide(session: Session, query: str, outcome: str,
           now: datetime | None = None) -> SandboxTransaction:
    """The tester's choice for one payment URL: keep it and sign the IPN it produces."""
    if outcome not in OUTCOMES:
        raise SandboxError("Chọn kết quả thanh toán.", 400)
    now = now or utcnow()
    request = read_request(query, now)
    if session.scalar(select(SandboxTransaction.id).where(
            SandboxTransaction.txn_ref == request.txn_ref)):
        raise SandboxError("Giao dịch này đã được xử lý.", 409)
    code, status = OUTCOMES[outcome]
    number = "0" if outcome == "cancel" else str(secrets.randbelow(90_000_000) + 10_000_000)
    p = request.params
    ipn = {
        "vnp_Amount": p["vnp_Amount"], "vnp_BankCode": "NCB",
        "vnp_CardType": "ATM", "vnp_OrderInfo": p.get("vnp_OrderInfo", ""),
        "vnp_PayDate": vnpay.vn_time(now), "vnp_ResponseCode": code,
        "vnp_TmnCode": p["vnp_TmnCode"], "vnp_TransactionNo": number,
        "vnp_TransactionStatus": status, "vnp_TxnRef": request.txn_ref,
    }
    if outcome != "cancel":
        ipn["vnp_BankTranNo"] = "VNP" + number
    ipn["vnp_SecureHash"] = vnpay.sign(ipn, _settings().hash_secret)
    txn = SandboxTransaction(txn_ref=request.txn_ref, transaction_no=number,
                             amount=int(p["vnp_Amount"]), outcome=outcome, ipn=ipn,
                             return_url=p.get("vnp_ReturnUrl", ""), created_at=now)
    session.add(txn)
    session.flush()
    return txn


def return_url(txn: SandboxTransaction) -> str:
    """Where the resident's browser goes back: the merchant's return URL with the same
    signed parameters as the IPN."""
    sep = "&" if "?" in txn.return_url else "?"
    return txn.return_url + sep + urlencode(txn.ipn)


def call_in_process(method: str, path: str, **kwargs):
    """One request to this same app, in a context of its own (its own app context, database
    session and transaction); returns the JSON answer or None."""
    app = current_app._get_current_object()
    client = app.test_client()
    response = contextvars.Context().run(client.open, path, method=method, **kwargs)
    return response.get_json(silent=True)


def deliver_ipn(ipn: dict) -> dict | None:
    """Send the signed IPN to the portal's IPN handler, as VNPay's server would. Call it
    only outside any database transaction."""
    return call_in_process("GET", IPN_PATH, query_string=ipn)


def recent(session: Session, limit: int = 20) -> list[SandboxTransaction]:
    return list(session.scalars(select(SandboxTransaction)
                                .order_by(SandboxTransaction.id.desc()).limit(limit)))


def find(session: Session, txn_ref: str) -> SandboxTransaction | None:
    return session.scalar(select(SandboxTransaction).where(
        SandboxTransaction.txn_ref == txn_ref))


def query_answer(session: Session, body: dict, now: datetime | None = None) -> dict:
    """The query API (querydr): VNPay's signed answer about one transaction."""
    s = _settings()
    now = now or utcnow()
    answer = {"vnp_ResponseId": secrets.token_hex(16), "vnp_Command": "querydr",
              "vnp_TmnCode": s.tmn_code, "vnp_TxnRef": str(body.get("vnp_TxnRef") or ""),
              "vnp_OrderInfo": str(body.get("vnp_OrderInfo") or "")}
    if not isinstance(body, dict) or not vnpay.pipe_verify(body, vnpay.QUERY_REQUEST_FIELDS,
                                                           s.hash_secret):
        answer.update(vnp_ResponseCode="97", vnp_Message="Invalid checksum")
    else:
        txn = find(session, answer["vnp_TxnRef"])
        if txn is None:
            answer.update(vnp_ResponseCode="91", vnp_Message="Transaction not found")
        else:
            answer.update(
                vnp_ResponseCode="00", vnp_Message="QueryDR Success",
                vnp_Amount=str(txn.amount), vnp_BankCode="NCB",
                vnp_PayDate=txn.created_at.astimezone(LOCAL_TZ).strftime("%Y%m%d%H%M%S"),
                vnp_TransactionNo=txn.transaction_no, vnp_TransactionType="01",
                vnp_TransactionStatus=txn.ipn.get("vnp_TransactionStatus", "02"))
    answer["vnp_SecureHash"] = vnpay.pipe_sign(answer, vnpay.QUERY_RESPONSE_FIELDS,
                                               s.hash_secret)
    return answer
