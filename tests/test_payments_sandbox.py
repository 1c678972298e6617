"""The built-in sandbox gateway plays VNPay's side with real signatures, and
`portal payments-reconcile` settles what the IPN missed through the query API."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from district_portal import create_app
from district_portal.db import get_db
from district_portal.models import DossierEvent, Payment, SandboxTransaction
from district_portal.models import DossierStatus as S
from district_portal.services.payments import attempts, sandbox
from tests.factories import MARITAL, user
from tests.factories import create_filed_dossier as create_dossier
from tests.helpers import csrf_token, login
from tests.payment_vectors import documented_signature

GOOD_SECRET = secrets.token_hex(32)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _sandbox_page(client, sess, d):
    login(client, user(sess, "resident@demo.test"))
    token = csrf_token(client, f"/my/dossiers/{d.public_id}")
    response = client.post(f"/my/dossiers/{d.public_id}/pay", data={"csrf_token": token})
    url = _path(response.headers["Location"])
    return url, client.get(url)


def _choose(client, pay_url: str, page, outcome: str):
    html = page.get_data(as_text=True)
    token = csrf_token(client, pay_url)
    assert 'name="query"' in html
    query = pay_url.split("?", 1)[1]
    return client.post("/payments/sandbox/pay", data={"csrf_token": token, "query": query,
                                                     "outcome": outcome})


def test_a_success_chosen_in_the_sandbox_is_confirmed_by_a_signed_ipn(client, sess):
    d = create_dossier(sess, code=MARITAL, status=S.ACCEPTED)
    sess.commit()
    pay_url, page = _sandbox_page(client, sess, d)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "15.000 đồng" in html and "Thanh toán thành công" in html and "Hủy giao dịch" in html
    chosen = _choose(client, pay_url, page, "success")
    assert chosen.status_code == 303 and "/payments/sandbox/deliver/" in chosen.headers[
        "Location"]
    back = client.get(_path(chosen.headers["Location"]))
    assert back.status_code == 303
    return_url = back.headers["Location"]
    assert return_url.startswith("http://127.0.0.1:5000/payments/vnpay/return?")
    shown = client.get(_path(return_url)).get_data(as_text=True)
    assert "Đã nhận thanh toán" in shown
    sess.expire_all()
    (payment,) = sess.scalars(select(Payment).where(Payment.dossier_id == d.id)).all()
    assert payment.state == "paid" and d.payment_state == "paid" and d.status == S.ACCEPTED
    txn = sess.scalar(select(SandboxTransaction).where(
        SandboxTransaction.txn_ref == payment.txn_ref))
    # The sandbox signs its IPN exactly as documented.
    assert txn.ipn["vnp_SecureHash"] == documented_signature(txn.ipn)
    assert payment.provider_txn_no == txn.transaction_no
    # A replay of the same IPN answers 02 and changes nothing.
    token = csrf_token(client, "/payments/sandbox/")
    replay = client.post(f"/payments/sandbox/replay/{payment.txn_ref}",
                         data={"csrf_token": token})
    assert "RspCode 02" in replay.get_data(as_text=True)
    sess.expire_all()
    assert len([e for e in d.events if e.action == "pay"]) == 1
    # The same payment URL cannot be decided twice.
    assert _choose(client, pay_url, page, "success").status_code == 409


def test_a_cancel_in_the_sandbox_leaves_the_fee_unpaid_and_a_retry_works(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    pay_url, page = _sandbox_page(client, sess, d)
    chosen = _choose(client, pay_url, page, "cancel")
    back = client.get(_path(chosen.headers["Location"]))
    shown = client.get(_path(back.headers["Location"])).get_data(as_text=True)
    assert "Thanh toán không thành công" in shown
    sess.expire_all()
    assert d.payment_state == "unpaid"
    cancelled = sess.scalar(select(Payment).where(Payment.dossier_id == d.id))
    assert cancelled.state == "failed" and cancelled.provider_txn_no == "0"
    pay_url, page = _sandbox_page(client, sess, d)
    chosen = _choose(client, pay_url, page, "success")
    client.get(_path(chosen.headers["Location"]))
    sess.expire_all()
    assert d.payment_state == "paid" and d.status == S.SUBMITTED


def test_the_sandbox_refuses_a_tampered_payment_url(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    pay_url, _ = _sandbox_page(client, sess, d)
    tampered = pay_url.replace("vnp_Amount=1500000", "vnp_Amount=100")
    page = client.get(tampered)
    assert page.status_code == 400 and "Sai chữ ký" in page.get_data(as_text=True)


def test_without_the_sandbox_flag_there_is_no_sandbox(fresh_app, monkeypatch):
    app = fresh_app(seeded=False, PAYMENT_SANDBOX=False)
    assert app.test_client().get("/payments/sandbox/pay").status_code == 404
    monkeypatch.setenv("PORTAL_SECRET_KEY", GOOD_SECRET)
    monkeypatch.delenv("PORTAL_PAYMENT_SANDBOX", raising=False)
    production = create_app("production")
    assert "sandbox.pay_page" not in production.view_functions


def _live(app):
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.effective_port}"


@pytest.mark.parametrize("transport", ["in-process", "http"])
def test_reconciliation_records_a_lost_ipn_and_expires_an_abandoned_attempt(fresh_app,
                                                                            transport):
    app = fresh_app()
    server = None
    if transport == "http":
        server, thread, url = _live(app)
        app.config["VNPAY_API_URL"] = url + "/payments/sandbox/querydr"
    try:
        with app.test_request_context(), get_db(app).transaction() as session:
            lost, abandoned, recent = (create_dossier(session, code=MARITAL,
                                                      status=S.ACCEPTED) for _ in range(3))
            ids = [lost.id, abandoned.id, recent.id]
            urls = [attempts.start_online_payment(session, d, "127.0.0.1")[1]
                    for d in (lost, abandoned, recent)]
            # The resident paid, but VNPay's IPN never arrived.
            sandbox.decide(session, urls[0].split("?", 1)[1], "success")
        with get_db(app).transaction() as session:
            for payment in session.scalars(select(Payment).where(
                    Payment.dossier_id.in_(ids[:2]))):
                payment.created_at -= timedelta(minutes=40)
                payment.expires_at -= timedelta(minutes=40)
        result = app.test_cli_runner().invoke(
            args=["portal", "payments-reconcile", "--older-than", "20"])
        assert result.exit_code == 0, result.output
        assert "checked 2: 1 paid, 0 failed, 1 expired, 0 still pending" in result.output
    finally:
        if server is not None:
            server.close()
            thread.join(5)
    with get_db(app).transaction(write=False) as session:
        states = [session.scalar(select(Payment.state).where(Payment.dossier_id == i))
                  for i in ids]
        assert states == ["paid", "expired", "pending"]
        events = session.scalars(select(DossierEvent).where(DossierEvent.action == "pay")).all()
        assert [e.dossier_id for e in events] == [ids[0]]
    again = app.test_cli_runner().invoke(args=["portal", "payments-reconcile",
                                               "--older-than", "20"])
    assert "checked 0" in again.output
