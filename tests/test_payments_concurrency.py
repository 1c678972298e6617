"""Payments under concurrency, on a real database of their own (SQLite or PostgreSQL): the
same IPN delivered by 20 threads records one payment, simultaneous clicks on "pay" make one
pending attempt, and e-receipt numbers stay gap-free."""

from __future__ import annotations

import threading

from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import DossierEvent, Payment
from district_portal.models import DossierStatus as S
from district_portal.services.payments import attempts
from tests.factories import MARITAL, user
from tests.factories import create_filed_dossier as create_dossier
from tests.helpers import csrf_token, login
from tests.payment_vectors import ipn_params


def _pending_dossiers(app, n: int) -> list[tuple[int, str]]:
    """n dossiers waiting for payment, each with a pending online attempt."""
    out = []
    with app.test_request_context(), get_db(app).transaction() as session:
        for _ in range(n):
            d = create_dossier(session, code=MARITAL, status=S.ACCEPTED)
            payment, _ = attempts.start_online_payment(session, d, "127.0.0.1")
            out.append((d.id, payment.txn_ref))
    return out


def _run(n: int, work) -> list:
    barrier = threading.Barrier(n, timeout=60)
    results: list = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            prepared = work.prepare(i)
            barrier.wait()
            results.append(work.go(i, prepared))
        except BaseException as exc:  # reported below, never lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == n
    return results


class _Ipn:
    def __init__(self, app, calls):
        self.app, self.calls = app, calls

    def prepare(self, i):
        return self.app.test_client()

    def go(self, i, client):
        response = client.get("/payments/vnpay/ipn", query_string=self.calls[i])
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.get_json()["RspCode"]


def test_the_same_ipn_from_twenty_threads_records_one_payment_and_one_pay_event(fresh_app):
    app = fresh_app()
    ((dossier_id, txn_ref),) = _pending_dossiers(app, 1)
    call = ipn_params(txn_ref, 15000, transaction_no="14200001")
    codes = _run(20, _Ipn(app, [call] * 20))
    assert sorted(codes) == ["00"] + ["02"] * 19
    with get_db(app).transaction(write=False) as session:
        payments = session.scalars(select(Payment).where(Payment.dossier_id == dossier_id)
                                   ).all()
        assert [(p.state, p.provider_txn_no, p.receipt_number) for p in payments] == [
            ("paid", "14200001", 1)]
        events = session.scalars(select(DossierEvent).where(
            DossierEvent.dossier_id == dossier_id, DossierEvent.action == "pay")).all()
        assert len(events) == 1
        assert payments[0].dossier.payment_state == "paid"
        assert payments[0].dossier.status == S.ACCEPTED


def test_receipt_numbers_stay_gap_free_when_payments_arrive_together(fresh_app):
    app = fresh_app()
    n = 12
    pending = _pending_dossiers(app, n)
    calls = [ipn_params(ref, 15000, transaction_no=str(14300000 + i))
             for i, (_, ref) in enumerate(pending)]
    assert _run(n, _Ipn(app, calls)) == ["00"] * n
    with get_db(app).transaction(write=False) as session:
        rows = session.scalars(select(Payment).where(Payment.state == "paid")).all()
        assert sorted(p.receipt_number for p in rows) == list(range(1, n + 1))
        assert len({(p.receipt_office_id, p.receipt_year) for p in rows}) == 1


class _Click:
    def __init__(self, app, user_obj, public_id):
        self.app, self.user, self.public_id = app, user_obj, public_id

    def prepare(self, i):
        client = self.app.test_client()
        login(client, self.user)
        return client, csrf_token(client, f"/my/dossiers/{self.public_id}")

    def go(self, i, prepared):
        client, token = prepared
        response = client.post(f"/my/dossiers/{self.public_id}/pay",
                               data={"csrf_token": token})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response.headers["Location"]


def test_simultaneous_clicks_on_pay_make_one_pending_attempt(fresh_app):
    app = fresh_app()
    with app.test_request_context(), get_db(app).transaction() as session:
        d = create_dossier(session, code=MARITAL, status=S.ACCEPTED)
        resident = user(session, "resident@demo.test")
        dossier_id, public_id = d.id, d.public_id
    locations = _run(8, _Click(app, resident, public_id))
    assert len(set(locations)) == 1
    with get_db(app).transaction(write=False) as session:
        payments = session.scalars(select(Payment).where(Payment.dossier_id == dossier_id)
                                   ).all()
        assert [p.state for p in payments] == ["pending"]
        assert payments[0].txn_ref in locations[0]
