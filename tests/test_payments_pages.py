"""Who may pay, what the pages and messages say, paying at the desk, and the e-receipt."""

from __future__ import annotations

import io
import subprocess

from pypdf import PdfReader
from sqlalchemy import select

from district_portal.models import DossierEvent, Notification, Payment
from district_portal.models import DossierStatus as S
from district_portal.services.documents import fee_receipts
from district_portal.services.notifications import sms_text
from tests.factories import MARITAL, MARRIAGE, staff, user
from tests.factories import create_filed_dossier as create_dossier
from tests.helpers import csrf_token, login, post_action
from tests.payment_vectors import ipn_params


def _payments(sess, d):
    sess.expire_all()
    return list(sess.scalars(select(Payment).where(Payment.dossier_id == d.id)
                             .order_by(Payment.id)))


def _pay_online(client, sess, d) -> Payment:
    """The resident pays through the provider; VNPay confirms."""
    login(client, user(sess, "resident@demo.test"))
    token = csrf_token(client, f"/my/dossiers/{d.public_id}")
    response = client.post(f"/my/dossiers/{d.public_id}/pay", data={"csrf_token": token})
    assert response.status_code == 303
    (payment,) = [p for p in _payments(sess, d) if p.state == "pending"]
    answer = client.get("/payments/vnpay/ipn",
                        query_string=ipn_params(payment.txn_ref, 15000,
                                                transaction_no="14177777")).get_json()
    assert answer["RspCode"] == "00"
    sess.expire_all()
    return payment


def test_the_dossier_page_and_my_dossiers_show_the_fee_and_the_pay_button(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    login(client, user(sess, "resident@demo.test"))
    page = client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    assert "Phí, lệ phí phải nộp: 15.000 đồng" in page
    assert f'action="/my/dossiers/{d.public_id}/pay"' in page
    assert "Thanh toán trực tuyến</button>" in page
    listing = client.get("/my/dossiers").get_data(as_text=True)
    assert f'action="/my/dossiers/{d.public_id}/pay"' in listing
    assert "15.000 đồng" in listing


def test_a_dossier_without_a_fee_offers_no_payment(client, sess):
    d = create_dossier(sess, code=MARRIAGE)
    sess.commit()
    login(client, user(sess, "resident@demo.test"))
    assert "/pay" not in client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    token = csrf_token(client, f"/my/dossiers/{d.public_id}")
    response = client.post(f"/my/dossiers/{d.public_id}/pay", data={"csrf_token": token})
    assert response.status_code == 303 and "/pay" not in response.headers["Location"]
    assert _payments(sess, d) == []


def test_a_resident_cannot_pay_for_another_residents_dossier(client, sess, other_resident):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    login(client, other_resident)
    token = csrf_token(client, "/my/dossiers")
    response = client.post(f"/my/dossiers/{d.public_id}/pay", data={"csrf_token": token})
    assert response.status_code == 404
    assert _payments(sess, d) == []
    anonymous = client.application.test_client()
    response = anonymous.post(f"/my/dossiers/{d.public_id}/pay", data={"csrf_token": token})
    assert response.status_code in (302, 400) and _payments(sess, d) == []


def test_paying_without_the_csrf_token_is_refused(client, sess):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    login(client, user(sess, "resident@demo.test"))
    assert client.post(f"/my/dossiers/{d.public_id}/pay").status_code == 400
    assert _payments(sess, d) == []


def test_the_applicant_is_told_how_much_and_where_to_pay(client, sess):
    d = create_dossier(sess, code=MARITAL, status=S.ACCEPTED)
    sess.commit()
    texts = [n.text for n in sess.scalars(select(Notification).where(
        Notification.dossier_id == d.id))]
    url = f"http://127.0.0.1:5000/pay/{d.ref}"
    asking = [t for t in texts if "15.000 đồng" in t and url in t]
    # At submission and at acceptance, by SMS and by email when the applicant gave one.
    assert len(asking) >= 2, texts
    assert "Thanh toán trực tuyến" in asking[0]
    # The link fits in one SMS and leads the owner, logged in, to the pay button.
    sms = sms_text(asking[0])
    assert sms.endswith(url) and len(sms) <= 160
    login(client, user(sess, "resident@demo.test"))
    response = client.get(f"/pay/{d.ref.lower()}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/my/dossiers/{d.public_id}#pay")


def test_the_short_payment_link_is_only_for_the_owner(client, sess, other_resident):
    d = create_dossier(sess, code=MARITAL)
    sess.commit()
    login(client, other_resident)
    assert client.get(f"/pay/{d.ref}").status_code == 404
    assert client.application.test_client().get(f"/pay/{d.ref}").status_code == 302


def test_the_clerk_records_a_desk_payment_with_the_amount_received(client, sess):
    d = create_dossier(sess, code=MARITAL, status=S.ACCEPTED)
    sess.commit()
    assert d.status == S.PAYMENT_REQUESTED
    login(client, user(sess, "clerk@demo.test"))
    page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    assert 'name="pay-amount"' in page
    wrong = post_action(client, d, "pay", amount="10000")
    assert wrong.status_code == 400
    assert "Số tiền nhận phải đúng bằng phí, lệ phí: 15.000 đồng" in wrong.get_data(
        as_text=True)
    assert _payments(sess, d) == [] and d.status == S.PAYMENT_REQUESTED
    response = post_action(client, d, "pay", amount="15000")
    assert response.status_code == 303
    (payment,) = _payments(sess, d)
    assert payment.provider == "desk" and payment.state == "paid" and payment.amount == 15000
    assert payment.recorded_by.email == "clerk@demo.test" and payment.receipt_number
    assert d.payment_state == "paid" and d.status == S.ACCEPTED
    event = d.events[-1]
    assert event.action == "pay" and event.data["payment"] == payment.txn_ref
    page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    assert f"/staff/dossiers/{d.code}/receipts/{payment.public_id}.pdf" in page
    again = post_action(client, d, "pay", amount="15000")
    assert again.status_code == 409 and len(_payments(sess, d)) == 1


def test_the_workflow_refuses_a_desk_payment_for_a_dossier_without_a_fee(client, sess):
    d = create_dossier(sess, code=MARRIAGE, status=S.ACCEPTED)
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))
    assert 'id="act-pay"' not in client.get(f"/staff/dossiers/{d.code}").get_data(
        as_text=True)
    response = post_action(client, d, "pay", amount="15000")
    assert response.status_code == 409
    assert _payments(sess, d) == []
    assert not sess.scalars(select(DossierEvent).where(DossierEvent.dossier_id == d.id,
                                                       DossierEvent.action == "pay")).all()


def test_a_desk_payment_closes_an_online_attempt_left_open(client, sess):
    d = create_dossier(sess, code=MARITAL, status=S.ACCEPTED)
    sess.commit()
    login(client, user(sess, "resident@demo.test"))
    token = csrf_token(client, f"/my/dossiers/{d.public_id}")
    client.post(f"/my/dossiers/{d.public_id}/pay", data={"csrf_token": token})
    (online,) = _payments(sess, d)
    login(client, user(sess, "clerk@demo.test"))
    assert post_action(client, d, "pay", amount="15000").status_code == 303
    states = {p.provider: p.state for p in _payments(sess, d)}
    assert states == {"vnpay": "expired", "desk": "paid"}
    late = client.get("/payments/vnpay/ipn", query_string=ipn_params(online.txn_ref, 15000))
    assert late.get_json()["RspCode"] == "02"


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_e_receipt_says_everything_in_vietnamese(client, sess):
    d = create_dossier(sess, code=MARITAL, status=S.ACCEPTED, name="Lê Thị Thủy Tiên")
    sess.commit()
    payment = _pay_online(client, sess, d)
    login(client, user(sess, "resident@demo.test"))
    page = client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    url = f"/my/dossiers/{d.public_id}/receipts/{payment.public_id}.pdf"
    assert url in page and "Biên lai thu phí, lệ phí số" in page
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    number = f"{payment.receipt_number:07d}/{payment.receipt_year}"
    for expected in ("BIÊN LAI THU PHÍ, LỆ PHÍ", f"Số: {number}", "UBND PHƯỜNG HÒA BÌNH",
                     "Lê Thị Thủy Tiên", "15.000 đồng", "Mười lăm nghìn đồng",
                     "Cấp Giấy xác nhận tình trạng hôn nhân", d.code, "14177777",
                     "Cổng thanh toán VNPAY", "NGƯỜI NỘP TIỀN", "NGƯỜI THU TIỀN"):
        assert expected in " ".join(text.split()), (expected, text)
    html = fee_receipts.receipt_html(fee_receipts.fee_receipt(payment))
    assert "Thời gian thanh toán" in html
    # pdftotext (poppler) reads the same Vietnamese.
    out = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                         check=True).stdout.decode("utf-8")
    assert "Mười lăm nghìn đồng" in out and "BIÊN LAI THU PHÍ, LỆ PHÍ" in out


def test_staff_of_the_office_download_the_e_receipt_and_others_get_404(client, sess,
                                                                       other_resident):
    d = create_dossier(sess, code=MARITAL, status=S.ACCEPTED)
    sess.commit()
    payment = _pay_online(client, sess, d)
    login(client, user(sess, "clerk@demo.test"))
    staff_url = f"/staff/dossiers/{d.code}/receipts/{payment.public_id}.pdf"
    assert client.get(staff_url).status_code == 200
    login(client, staff(sess))  # a clerk of another commune
    sess.commit()
    assert client.get(staff_url).status_code == 404
    login(client, other_resident)
    assert client.get(f"/my/dossiers/{d.public_id}/receipts/{payment.public_id}.pdf"
                      ).status_code == 404
    login(client, user(sess, "resident@demo.test"))
    assert client.get(staff_url).status_code == 404
    assert client.get(f"/my/dossiers/{d.public_id}/receipts/{'0' * 32}.pdf"
                      ).status_code == 404
