"""VNPay's documented signing, written here independently of district_portal (tests build
their expected values and their IPN calls with it, never with the portal's own signer)."""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse

# The sandbox's merchant code and secret (the test config runs with the sandbox on and no real
# VNPay credentials), as documented in docs/payments.md.
TMN = "PORTALSB"
SECRET = "district-portal-sandbox-secret-not-for-production"


def documented_signature(params: dict, secret: str = SECRET) -> str:
    """HMAC-SHA512 over the vnp_* parameters except the hash fields, sorted by name,
    URL-encoded with spaces as '+', joined with '&' (VNPay 2.1.0)."""
    pairs = sorted((k, v) for k, v in params.items()
                   if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType"))
    data = "&".join(k + "=" + urllib.parse.quote_plus(str(v)) for k, v in pairs)
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def ipn_params(txn_ref: str, amount_vnd: int, *, response_code: str = "00",
               status: str = "00", transaction_no: str = "14123456", secret: str = SECRET,
               tmn: str = TMN, **extra) -> dict:
    """A signed IPN as VNPay sends it (amount in đồng, sent × 100)."""
    params = {
        "vnp_Amount": str(amount_vnd * 100), "vnp_BankCode": "NCB", "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan le phi", "vnp_PayDate": "20261128091700",
        "vnp_ResponseCode": response_code, "vnp_TmnCode": tmn,
        "vnp_TransactionNo": transaction_no, "vnp_TransactionStatus": status,
        "vnp_TxnRef": txn_ref, **extra,
    }
    params["vnp_SecureHash"] = documented_signature(params, secret)
    return params
