"""Slips and the ledger as PDF downloads: staff of the dossier's offices get every slip, the
applicant every slip but the control slip, everyone else a 404; the ledger covers a period."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pytest

from district_portal.services.dossiers.workflow import Action, perform
from tests.factories import S, accepted_dossier, create_dossier, other_clerk, other_resident, user
from tests.helpers import login, pdf_text, scripts

TITLES = {
    "receipt": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "supplement": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "refusal": "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    "apology": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "control": "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
}


def _dossier_with_every_slip(session):
    """Accepted, supplement requested and answered, deadline extended: slips 01, 02, 04, 05."""
    d = accepted_dossier(session)
    officer, leader = user(session, "officer@demo.test"), user(session, "leader@demo.test")
    perform(session, d, Action.REQUEST_SUPPLEMENT, officer, reason="Thiếu bản sao giấy chứng sinh")
    d.status = S.ACCEPTED  # as if answered (the supplement itself is tested elsewhere)
    d.resume_status = None
    perform(session, d, Action.EXTEND, leader, due_at=d.due_at + timedelta(days=2),
            reason="Cần xác minh thêm")
    session.commit()
    return d


def _refused(session):
    resident = user(session, "resident@demo.test")
    d = create_dossier(session, applicant_user_id=resident.id)
    perform(session, d, Action.REFUSE, user(session, "clerk@demo.test"),
            reason="Không thuộc thẩm quyền")
    session.commit()
    return d


@pytest.mark.parametrize("kind", ["receipt", "supplement", "apology", "control"])
def test_staff_of_the_office_download_each_slip_in_vietnamese(app, db_session, kind):
    d = _dossier_with_every_slip(db_session)
    client = app.test_client()
    login(client, user(db_session, "clerk@demo.test"))
    response = client.get(f"/staff/dossiers/{d.code}/slips/{kind}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert TITLES[kind] in text and d.code in text


def test_the_refusal_slip_carries_the_reason(app, db_session):
    d = _refused(db_session)
    client = app.test_client()
    login(client, user(db_session, "clerk@demo.test"))
    text = pdf_text(client.get(f"/staff/dossiers/{d.code}/slips/refusal.pdf").data)
    assert TITLES["refusal"] in text and "Không thuộc thẩm quyền" in text


def test_a_slip_that_does_not_apply_yet_is_a_404_with_the_reason(app, db_session):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "clerk@demo.test"))
    response = client.get(f"/staff/dossiers/{d.code}/slips/refusal.pdf")
    assert response.status_code == 404
    assert "Hồ sơ không bị từ chối tiếp nhận." in response.get_data(as_text=True)
    assert client.get(f"/staff/dossiers/{d.code}/slips/unknown.pdf").status_code == 404


def test_the_applicant_downloads_their_slips_but_not_the_control_slip(app, db_session):
    d = _dossier_with_every_slip(db_session)
    client = app.test_client()
    login(client, user(db_session, "resident@demo.test"))
    for kind in ("supplement", "apology", "receipt"):
        response = client.get(f"/my/dossiers/{d.public_id}/slips/{kind}.pdf")
        assert response.status_code == 200, kind
        assert TITLES[kind] in pdf_text(response.data)
    assert client.get(f"/my/dossiers/{d.public_id}/slips/control.pdf").status_code == 404
    refused = _refused(db_session)
    response = client.get(f"/my/dossiers/{refused.public_id}/slips/refusal.pdf")
    assert TITLES["refusal"] in pdf_text(response.data)


def test_other_people_get_404_for_slips(app, db_session):
    d = _dossier_with_every_slip(db_session)
    outsider, stranger = other_clerk(db_session), other_resident(db_session)
    db_session.commit()
    for account in (outsider, stranger):
        client = app.test_client()
        login(client, account)
        for kind in TITLES:
            assert client.get(f"/staff/dossiers/{d.code}/slips/{kind}.pdf").status_code == 404
            assert client.get(f"/my/dossiers/{d.public_id}/slips/{kind}.pdf").status_code == 404
    anonymous = app.test_client().get(f"/my/dossiers/{d.public_id}/slips/supplement.pdf")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]


def test_the_ledger_form_defaults_to_this_month_and_fits_the_budget(app, db_session):
    client = app.test_client()
    login(client, user(db_session, "clerk@demo.test"))
    response = client.get("/staff/ledger")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and not scripts(page)
    assert len(gzip.compress(response.data)) <= 30 * 1024
    assert 'name="from"' in page and 'name="to"' in page and "-01" in page


def test_the_ledger_lists_the_office_dossiers_submitted_in_the_period(app, db_session):
    inside = accepted_dossier(db_session)  # submitted 3 March 2026
    other = create_dossier(db_session, office_code="000.00.05.T25")
    later = create_dossier(db_session, submitted_at=inside.submitted_at + timedelta(days=40))
    db_session.commit()
    client = app.test_client()
    login(client, user(db_session, "clerk@demo.test"))
    response = client.get("/staff/ledger.pdf?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "SỔ THEO DÕI HỒ SƠ" in text
    assert "Từ ngày 01/03/2026 đến ngày 31/03/2026" in text
    assert inside.code in text
    assert other.code not in text and later.code not in text


@pytest.mark.parametrize("query", ["", "?from=2026-03-01", "?from=hôm-nay&to=2026-03-31",
                                   "?from=2026-03-31&to=2026-03-01",
                                   "?from=2024-01-01&to=2026-03-01",
                                   "?from=2026-02-30&to=2026-03-01"])
def test_bad_ledger_dates_are_a_400_page_with_a_message(app, db_session, query):
    client = app.test_client()
    login(client, user(db_session, "clerk@demo.test"))
    response = client.get(f"/staff/ledger.pdf{query}")
    assert response.status_code == 400
    assert 'class="errors"' in response.get_data(as_text=True)


def test_residents_cannot_print_the_ledger(app, db_session):
    client = app.test_client()
    login(client, user(db_session, "resident@demo.test"))
    assert client.get("/staff/ledger").status_code == 404
    assert client.get("/staff/ledger.pdf?from=2026-03-01&to=2026-03-31").status_code == 404


def test_province_staff_read_the_slips_but_do_not_prepare_results(app, db_session):
    from district_portal.services.accounts.users import create_user

    d = _dossier_with_every_slip(db_session)
    reader = create_user(db_session, email="province@demo.test", password="x" * 14,
                         roles=["officer"], full_name="Cán Bộ Tỉnh", office_code="000.00.00.T25")
    db_session.commit()
    client = app.test_client()
    login(client, reader)
    response = client.get(f"/staff/dossiers/{d.code}/slips/control.pdf")
    assert response.status_code == 200 and TITLES["control"] in pdf_text(response.data)
    assert client.get(f"/staff/dossiers/{d.code}/result").status_code == 403
