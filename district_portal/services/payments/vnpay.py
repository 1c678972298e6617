"""VNPay 2.1.0: the payment URL, the IPN's signature, and the query API (querydr).

The payment URL and the IPN are signed with HMAC-SHA512 over the vnp_* parameters except
vnp_SecureHash and vnp_SecureHashType, sorted by name, URL-encoded (space as +) and joined
with '&'. The query API has its own layout: named fields joined with '|'. Amounts travel as
VND × 100; times are Asia/Ho_Chi_Minh yyyyMMddHHmmss.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote_plus

from district_portal.text import LOCAL_TZ

VERSION = "2.1.0"
UNSIGNED = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})
# The built-in sandbox's merchant code and secret, used only when PORTAL_PAYMENT_SANDBOX is on
# and no real ones are configured (the production config never turns the sandbox on).
SANDBOX_TMN_CODE = "PORTALSB"
SANDBOX_HASH_SECRET = "district-portal-sandbox-secret-not-for-production"  # nosec B105 — sandbox
SANDBOX_PAY_PATH = "/payments/sandbox/pay"
SANDBOX_API_PATH = "/payments/sandbox/querydr"
QUERY_REQUEST_FIELDS = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode",
                        "vnp_TxnRef", "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr",
                        "vnp_OrderInfo")
QUERY_RESPONSE_FIELDS = ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message",
                         "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount", "vnp_BankCode",
                         "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType",
                         "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
                         "vnp_PromotionAmount")
HTTP_TIMEOUT = 15  # seconds


@dataclass(frozen=True)
class Settings:
    tmn_code: str
    hash_secret: str
    pay_url: str
    api_url: str | None  # None: the sandbox's query API, called in-process
    sandbox: bool


def settings(config: Mapping) -> Settings | None:
    """The merchant settings, or None when online payment is not configured. With the
    sandbox on, payments go to the sandbox, with its code and secret unless real ones are
    set."""
    sandbox = bool(config.get("PAYMENT_SANDBOX"))
    tmn = config.get("VNPAY_TMN_CODE") or (SANDBOX_TMN_CODE if sandbox else None)
    secret = config.get("VNPAY_HASH_SECRET") or (SANDBOX_HASH_SECRET if sandbox else None)
    if sandbox:
        base = str(config.get("BASE_URL") or "").rstrip("/")
        pay_url, api_url = base + SANDBOX_PAY_PATH, config.get("VNPAY_API_URL")
    else:
        pay_url, api_url = config.get("VNPAY_PAY_URL"), config.get("VNPAY_API_URL")
    if not (tmn and secret and pay_url):
        return None
    return Settings(tmn, secret, pay_url, api_url, sandbox)


# --- signatures -------------------------------------------------------------------------------


def hash_data(params: Mapping[str, str]) -> str:
    """The signed string: vnp_* parameters but the hash itself, sorted, quote_plus-encoded."""
    items = sorted((k, str(v)) for k, v in params.items()
                   if k.startswith("vnp_") and k not in UNSIGNED)
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in items)


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac_sha512(secret, hash_data(params))


def verify(params: Mapping[str, str], secret: str) -> bool:
    """True when vnp_SecureHash matches (compared in constant time, case-insensitively)."""
    given = params.get("vnp_SecureHash")
    if not isinstance(given, str) or not given:
        return False
    expected = sign(params, secret)
    return hmac.compare_digest(expected.encode("ascii"), given.lower().encode("ascii",
                                                                                "replace"))


def single_values(args) -> dict[str, str] | None:
    """The request's parameters as a plain dict, or None when any vnp_* name comes twice
    (a duplicated parameter cannot be signed unambiguously)."""
    out: dict[str, str] = {}
    for key in args:
        values = args.getlist(key)
        if len(values) != 1:
            if key.startswith("vnp_"):
                return None
            continue
        out[key] = values[0]
    return out


# --- the payment URL --------------------------------------------------------------------------


def vn_time(dt: datetime) -> str:
    return dt.astimezone(LOCAL_TZ).strftime("%Y%m%d%H%M%S")


def ascii_text(value: str, limit: int = 255) -> str:
    """vnp_OrderInfo: ASCII without diacritics (đ → d), no special characters."""
    value = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    value = "".join(c for c in value if unicodedata.category(c) != "Mn")
    value = re.sub(r"[^A-Za-z0-9 .,:\-]+", " ", value)
    return re.sub(r"\s+", " ", value).strip()[:limit]


def new_txn_ref(now: datetime) -> str:
    """Unique per attempt: the local date and 12 random hex digits (VNPay: ≤ 100 chars,
    unique per day)."""
    return now.astimezone(LOCAL_TZ).strftime("%Y%m%d") + secrets.token_hex(6).upper()


def pay_params(s: Settings, *, txn_ref: str, amount: int, order_info: str, return_url: str,
               ip: str, created: datetime, expires: datetime) -> dict[str, str]:
    """The request parameters (without the signature)."""
    if not isinstance(amount, int) or amount <= 0:
        raise ValueError("amount must be a positive whole number of đồng")
    return {
        "vnp_Version": VERSION, "vnp_Command": "pay", "vnp_TmnCode": s.tmn_code,
        "vnp_Amount": str(amount * 100), "vnp_CurrCode": "VND", "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": ascii_text(order_info), "vnp_OrderType": "billpayment",
        "vnp_Locale": "vn", "vnp_ReturnUrl": return_url, "vnp_IpAddr": ip or "127.0.0.1",
        "vnp_CreateDate": vn_time(created), "vnp_ExpireDate": vn_time(expires),
    }


def pay_url(s: Settings, params: Mapping[str, str]) -> str:
    return f"{s.pay_url}?{hash_data(params)}&vnp_SecureHash={sign(params, s.hash_secret)}"


# --- the query API ----------------------------------------------------------------------------


def query_request(s: Settings, *, txn_ref: str, transaction_date: str, ip: str,
                  now: datetime) -> dict[str, str]:
    """A signed querydr request body for one payment (transaction_date: its vnp_CreateDate)."""
    body = {
        "vnp_RequestId": secrets.token_hex(16), "vnp_Version": VERSION,
        "vnp_Command": "querydr", "vnp_TmnCode": s.tmn_code, "vnp_TxnRef": txn_ref,
        "vnp_TransactionDate": transaction_date, "vnp_CreateDate": vn_time(now),
        "vnp_IpAddr": ip, "vnp_OrderInfo": ascii_text(f"Truy van giao dich {txn_ref}"),
    }
    body["vnp_SecureHash"] = pipe_sign(body, QUERY_REQUEST_FIELDS, s.hash_secret)
    return body


def pipe_sign(body: Mapping, fields: tuple[str, ...], secret: str) -> str:
    return hmac_sha512(secret, "|".join(str(body.get(f) or "") for f in fields))


def pipe_verify(body: Mapping, fields: tuple[str, ...], secret: str) -> bool:
    given = body.get("vnp_SecureHash")
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(pipe_sign(body, fields, secret).encode("ascii"),
                               given.lower().encode("ascii", "replace"))


class QueryError(Exception):
    """The query API could not be reached or answered something unusable."""


def post_query(s: Settings, body: dict) -> dict:
    """POST the query to VNPay's API (with a timeout) and check the answer's signature. Never
    call this inside a database transaction."""
    if s.api_url:
        request = urllib.request.Request(s.api_url, data=json.dumps(body).encode("utf-8"),
                                         headers={"Content-Type": "application/json"},
                                         method="POST")
        try:
            with urllib.request.urlopen(  # nosec B310 — the deployer's API URL, not user input
                    request, timeout=HTTP_TIMEOUT) as response:
                answer = json.loads(response.read(1_000_000).decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise QueryError(f"query API unreachable or unreadable: {exc}") from None
    elif s.sandbox:
        from district_portal.services.payments import sandbox

        answer = sandbox.call_in_process("POST", SANDBOX_API_PATH, json=body)
    else:
        raise QueryError("PORTAL_VNPAY_API_URL is not set")
    if not isinstance(answer, dict) or not pipe_verify(answer, QUERY_RESPONSE_FIELDS,
                                                       s.hash_secret):
        raise QueryError("the query answer has no valid signature")
    return answer
