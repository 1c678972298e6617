"""VNPay 2.1.0 as DESIGN.md §6 says: the payment URL's fields and signature, and every IPN
answer (00, 01, 02, 04, 97, 99), checked against values computed here from the documented
algorithm — never with the portal's own signer."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select

from district_portal.models import DossierEvent, Payment
from district_portal.models import DossierStatus as S
from district_portal.services.payments import vnpay
from district_portal.text import LOCAL_TZ
from tests.factories import MARITAL, user
from tests.factories import create_filed_dossier as create_dossier
from tests.helpers import csrf_token, login
from tests.payment_vectors import TMN, documented_signature, ipn_params

CONFIRMED = {"RspCode": "00", "Message": "Confirm Success"}


def _start(client, sess, d):
    """The resident presses "Thanh toán trực tuyến"; returns the provider URL's parameters."""
    login(client, user(sess, "resident@demo.test"))
    token = csrf_token(client, f"/my/dossiers/{d.public_id}")
    response = client.post(f"/my/dossiers/{d.public_id}/pay", data={"csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[-600:]
    url = response.headers["Location"]
    return url, parse_qsl(urlsplit(url).query, keep_blank_values=True)


def _payments(sess, d):
    sess.expire_all()
    return list(sess.scalars(select(Payment).where(Payment.dossier_id == d.id)
                             .order_by(Payment.id)))


def _ipn(client, params):
    response = client.get("/payments/vnpay/ipn", query_string=params)
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def _pay_events(sess, d):
    return list(sess.scalars(select(DossierEvent).where(DossierEvent.dossier_id == d.id,
                                                        DossierEvent.action == "pay")))


def test_a_documented_vector_signs_to_the_value_openssl_computed():
    """Fixed vector: `openssl dgst -sha512 -hmac SECRETKEYDEMO` over the documented string."""
    params = {
        "vnp_Version": "2.1.0", "vnp_Command": "pay", "vnp_TmnCode": "DEMOV210",
        "vnp_Amount": "1500000", "vnp_CurrCode": "VND", "vnp_TxnRef": "20261128ABCDEF123456",
        "vnp_OrderInfo": "Thanh toan le phi ho so 000.00.04.T25-261128-0001",
        "vnp_OrderType": "billpayment", "vnp_Locale": "vn",
        "vnp_ReturnUrl": "http://127.0.0.1:5000/payments/vnpay/return",
        "vnp_IpAddr": "127.0.0.1", "vnp_CreateDate": "20261128091500",
        "vnp_ExpireDate": "20261128093000",
    }
    expected = ("6f71454f8c6ab4dcfbef5efbef5087ac9dc4724667cb8664819f87d2cc6131e4b6322997b5b6ad4"
                "6df20f67976b3111d8e2e1501e5fd4d4954d5048e35c6db43")
    assert documented_signature(params, "SECRETKEYDEMO") == expected
    assert vnpay.sign(params, "SECRETKEYDEMO") == expected
    assert vnpay.sign({**params, "vnp_SecureHash": "x", "vnp_SecureHashType": "y"},
                      "SECRETKEYDEMO") == expected


def test_the_query_api_request_is_signed_over_its_pipe_joined_fields():
    body = {"vnp_RequestId": "req1", "vnp_Version": "2.1.0", "vnp_Command": "querydr",
            "vnp_TmnCode": "DEMOV210", "vnp_TxnRef": "20261128ABCDEF123456",
            "vnp_TransactionDate": "20261128091500", "vnp_CreateDate": "20261128100000",
            "vnp_IpAddr": "127.0.0.1",
            "vnp_OrderInfo": "Truy van giao dich 20261128ABCDEF123456"}
    expected = ("9fcebc6b95448d24665e6d7669f5f9dcbf428e8ed295f72fe98ca653b7df068e8b61e2785cbd9fb"
                "441cb3d85f5b31ed31a94ee2f868e3864e3a424495309b62e")
    data = "|".join(body[k] for k in ("vnp_RequestId", "vnp_Version", "vnp_Command",
                                      "vnp_TmnCode", "vnp_TxnRef", "vnp_TransactionDate",
                                      "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo"))
    assert hmac.new(b"SECRETKEYDEMO", data.encode(), hashlib.sha512).hexdigest() == expected
    assert vnpay.pipe_sign(body, vnpay.QUERY_REQUEST_FIELDS, "SECRETKEYDEMO") == expected


def test_the_payment_url_carries_every_field_and_the_documented_signature(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    before = datetime.now(LOCAL_TZ).replace(microsecond=0)
    url, pairs = _start(client, sess, d)
    params = dict(pairs)
    assert url.startswith("http://127.0.0.1:5000/payments/sandbox/pay?")
    # Sent sorted by name, the hash last.
    names = [k for k, _ in pairs]
    assert names[-1] == "vnp_SecureHash" and names[:-1] == sorted(names[:-1])
    assert params["vnp_SecureHash"] == documented_signature(params)
    (payment,) = _payments(sess, d)
    assert params["vnp_Version"] == "2.1.0" and params["vnp_Command"] == "pay"
    assert params["vnp_TmnCode"] == TMN and params["vnp_CurrCode"] == "VND"
    assert params["vnp_Amount"] == "1500000" and payment.amount == 15000
    assert params["vnp_TxnRef"] == payment.txn_ref and payment.state == "pending"
    assert params["vnp_OrderInfo"] == f"Thanh toan le phi ho so {d.code}"
    assert params["vnp_OrderInfo"].isascii()
    assert params["vnp_OrderType"] and params["vnp_Locale"] == "vn"
    assert params["vnp_ReturnUrl"] == "http://127.0.0.1:5000/payments/vnpay/return"
    assert params["vnp_IpAddr"] == "127.0.0.1"
    created = datetime.strptime(params["vnp_CreateDate"], "%Y%m%d%H%M%S").replace(
        tzinfo=LOCAL_TZ)
    expires = datetime.strptime(params["vnp_ExpireDate"], "%Y%m%d%H%M%S").replace(
        tzinfo=LOCAL_TZ)
    assert before - timedelta(seconds=2) <= created <= before + timedelta(minutes=1)
    assert expires - created == timedelta(minutes=15)
    assert re.fullmatch(r"[0-9a-f]{128}", params["vnp_SecureHash"])


def test_a_confirmed_payment_answers_00_records_the_pay_event_and_a_replay_answers_02(
        client, sess):
    d = create_dossier(sess, code=MARITAL, status=S.ACCEPTED)
    sess.commit()
    assert d.status == S.PAYMENT_REQUESTED and d.paused_at is not None
    _, pairs = _start(client, sess, d)
    txn_ref = dict(pairs)["vnp_TxnRef"]
    params = ipn_params(txn_ref, 15000, transaction_no="14100001")
    assert _ipn(client, params) == CONFIRMED
    (payment,) = _payments(sess, d)
    assert payment.state == "paid" and payment.provider_txn_no == "14100001"
    assert payment.receipt_number is not None and payment.paid_at is not None
    assert payment.raw["answer"]["vnp_TransactionNo"] == "14100001"
    assert d.payment_state == "paid" and d.status == S.ACCEPTED and d.paused_at is None
    (event,) = _pay_events(sess, d)
    assert event.actor_id is None and event.data == {"amount": 15000, "payment": txn_ref}
    version = d.version
    assert _ipn(client, params) == {"RspCode": "02", "Message": "Order already confirmed"}
    sess.expire_all()
    assert d.version == version and len(_pay_events(sess, d)) == 1


def test_a_failed_or_cancelled_payment_answers_00_and_a_new_attempt_can_follow(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    _, first = _start(client, sess, d)
    failed = ipn_params(dict(first)["vnp_TxnRef"], 15000, response_code="51", status="02",
                        transaction_no="14100002")
    assert _ipn(client, failed) == CONFIRMED
    _, second = _start(client, sess, d)
    assert dict(second)["vnp_TxnRef"] != dict(first)["vnp_TxnRef"]
    cancelled = ipn_params(dict(second)["vnp_TxnRef"], 15000, response_code="24",
                           status="02", transaction_no="0")
    assert _ipn(client, cancelled) == CONFIRMED
    _, third = _start(client, sess, d)
    also_cancelled = ipn_params(dict(third)["vnp_TxnRef"], 15000, response_code="24",
                                status="02", transaction_no="0")
    assert _ipn(client, also_cancelled) == CONFIRMED  # two cancellations may both carry 0
    payments = _payments(sess, d)
    assert [p.state for p in payments] == ["failed", "failed", "failed"]
    assert d.payment_state == "unpaid" and not _pay_events(sess, d)


def test_a_success_code_with_another_transaction_status_is_recorded_as_failed(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    _, pairs = _start(client, sess, d)
    params = ipn_params(dict(pairs)["vnp_TxnRef"], 15000, response_code="00", status="01")
    assert _ipn(client, params) == CONFIRMED
    assert _payments(sess, d)[0].state == "failed" and d.payment_state == "unpaid"


def test_bad_notifications_get_their_code_and_change_nothing(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    _, pairs = _start(client, sess, d)
    txn_ref = dict(pairs)["vnp_TxnRef"]
    good = ipn_params(txn_ref, 15000)
    bad_signature = ipn_params(txn_ref, 15000, secret="not-the-secret")
    assert _ipn(client, bad_signature) == {"RspCode": "97", "Message": "Invalid signature"}
    tampered = {**good, "vnp_Amount": "100"}  # signed for 15.000, changed afterwards
    assert _ipn(client, tampered)["RspCode"] == "97"
    assert _ipn(client, ipn_params(txn_ref, 14999)) == {"RspCode": "04",
                                                         "Message": "Invalid amount"}
    assert _ipn(client, ipn_params("NOSUCHORDER1", 15000)) == {"RspCode": "01",
                                                               "Message": "Order not found"}
    no_hash = {k: v for k, v in good.items() if k != "vnp_SecureHash"}
    assert _ipn(client, no_hash)["RspCode"] == "97"
    assert _ipn(client, {})["RspCode"] == "97"
    duplicated = list(good.items()) + [("vnp_Amount", good["vnp_Amount"])]
    response = client.get("/payments/vnpay/ipn", query_string=duplicated)
    assert response.status_code == 200 and response.get_json()["RspCode"] == "97"
    missing = {k: v for k, v in good.items() if k not in ("vnp_SecureHash",
                                                          "vnp_ResponseCode")}
    missing["vnp_SecureHash"] = documented_signature(missing)
    assert _ipn(client, missing) == {"RspCode": "99", "Message": "Unknown error"}
    other_merchant = ipn_params(txn_ref, 15000, tmn="OTHERTMN")
    assert _ipn(client, other_merchant)["RspCode"] == "99"
    not_a_number = ipn_params(txn_ref, 15000)
    not_a_number["vnp_Amount"] = "1.5e6"
    not_a_number["vnp_SecureHash"] = documented_signature(not_a_number)
    assert _ipn(client, not_a_number)["RspCode"] == "04"
    (payment,) = _payments(sess, d)
    assert payment.state == "pending" and payment.provider_txn_no is None
    assert d.payment_state == "unpaid" and not _pay_events(sess, d)
    assert _ipn(client, good) == CONFIRMED  # the genuine one still works


def test_an_expired_attempt_cannot_be_paid_late(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    _, pairs = _start(client, sess, d)
    (payment,) = _payments(sess, d)
    payment.state = "expired"
    sess.commit()
    assert _ipn(client, ipn_params(dict(pairs)["vnp_TxnRef"], 15000))["RspCode"] == "02"
    sess.expire_all()
    assert d.payment_state == "unpaid" and not _pay_events(sess, d)


def test_an_out_of_date_attempt_is_expired_when_the_resident_pays_again(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    _, first = _start(client, sess, d)
    (payment,) = _payments(sess, d)
    payment.expires_at = payment.created_at - timedelta(minutes=1)
    sess.commit()
    _, second = _start(client, sess, d)
    assert dict(second)["vnp_TxnRef"] != dict(first)["vnp_TxnRef"]
    assert [p.state for p in _payments(sess, d)] == ["expired", "pending"]
    late = ipn_params(dict(first)["vnp_TxnRef"], 15000)
    assert _ipn(client, late)["RspCode"] == "02"


def test_double_clicking_pay_leaves_one_pending_attempt(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    first, _ = _start(client, sess, d)
    second, _ = _start(client, sess, d)
    assert first == second
    assert [p.state for p in _payments(sess, d)] == ["pending"]


def test_a_forged_success_on_the_return_page_shows_waiting_and_changes_nothing(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    _, pairs = _start(client, sess, d)
    forged = ipn_params(dict(pairs)["vnp_TxnRef"], 15000)  # validly signed, but no IPN came
    page = client.get("/payments/vnpay/return", query_string=forged)
    assert page.status_code == 200
    assert "Đang chờ xác nhận" in page.get_data(as_text=True)
    unsigned = ipn_params(dict(pairs)["vnp_TxnRef"], 15000, secret="guess")
    page = client.get("/payments/vnpay/return", query_string=unsigned)
    assert page.status_code == 400 and "Đang chờ" not in page.get_data(as_text=True)
    (payment,) = _payments(sess, d)
    assert payment.state == "pending" and d.payment_state == "unpaid"
    _ipn(client, forged)
    page = client.get("/payments/vnpay/return", query_string=forged)
    assert "Đã nhận thanh toán" in page.get_data(as_text=True)


def test_a_transaction_number_already_recorded_cannot_settle_another_payment(client, sess):
    first = create_dossier(sess, code=MARITAL)
    second = create_dossier(sess, code=MARITAL)
    sess.commit()
    _, one = _start(client, sess, first)
    _, two = _start(client, sess, second)
    assert _ipn(client, ipn_params(dict(one)["vnp_TxnRef"], 15000,
                                   transaction_no="14555555")) == CONFIRMED
    reused = ipn_params(dict(two)["vnp_TxnRef"], 15000, transaction_no="14555555")
    assert _ipn(client, reused) == {"RspCode": "99", "Message": "Unknown error"}
    (payment,) = _payments(sess, second)
    assert payment.state == "pending" and second.payment_state == "unpaid"
    assert not _pay_events(sess, second)


def test_a_payment_for_a_withdrawn_dossier_is_not_recorded(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    _, pairs = _start(client, sess, d)
    token = csrf_token(client, f"/my/dossiers/{d.public_id}")
    assert client.post(f"/my/dossiers/{d.public_id}/withdraw",
                       data={"csrf_token": token}).status_code == 303
    late = ipn_params(dict(pairs)["vnp_TxnRef"], 15000)
    assert _ipn(client, late)["RspCode"] == "99"
    (payment,) = _payments(sess, d)
    assert payment.state == "pending" and d.status == S.WITHDRAWN
    assert d.payment_state == "unpaid" and not _pay_events(sess, d)
