"""Results: an officer prepares them (rendered from the template or a signed scan), the leader
issues them through `complete`, and the resident downloads exactly what was issued."""

from __future__ import annotations

import gzip
import io

import pytest
from flask import current_app

from district_portal.models import Attachment, DossierStatus
from district_portal.services import storage
from district_portal.services.documents import results
from tests.factories import accepted_dossier, other_clerk, other_resident, user
from tests.helpers import (
    a_pdf,
    csrf_token,
    issue,
    issued_dossier,
    login,
    pdf_text,
    prepare,
    scripts,
    sha256,
)


def _result_attachments(session, d):
    return session.query(Attachment).filter_by(dossier_id=d.id, kind="result").all()


def test_the_rendered_result_points_its_qr_code_at_verify_token(app, db_session):
    d = accepted_dossier(db_session)
    html = results.result_html(d, token="tok-abcdefghijklmnop")
    assert f"{current_app.config['BASE_URL']}/verify/tok-abcdefghijklmnop" in html


def test_an_officer_prepares_a_rendered_result_and_the_leader_issues_it(app, db_session):
    d = issued_dossier(app, db_session)
    assert d.status == DossierStatus.DONE
    token = d.verification_token
    assert token and len(token) >= 22
    result = d.result
    assert result["kind"] == "rendered" and result["signed"] is False
    assert result["issued_by"] == user(db_session, "leader@demo.test").public_id
    stored = storage.path_of(app.config["UPLOAD_DIR"], result["sha256"]).read_bytes()
    assert sha256(stored) == result["sha256"]
    # the prepared draft, and the result rendered again at issue with its register number
    prepared, attachment = _result_attachments(db_session, d)
    assert prepared.stored_name != attachment.stored_name
    assert attachment.public_id == result["attachment"]
    assert attachment.stored_name == result["sha256"]
    event = d.events[-1]
    assert event.action == "complete" and event.data["result"] == {
        "kind": "rendered", "sha256": result["sha256"]}

    client = app.test_client()
    login(client, user(db_session, "resident@demo.test"))
    response = client.get(f"/my/dossiers/{d.public_id}/result.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert sha256(response.data) == result["sha256"]
    text = pdf_text(response.data)
    assert "GIẤY KHAI SINH" in text and "NGUYỄN MINH KHÔI" in text
    assert f"/verify/{token}" in text
    # an official document, not a slip: no dossier code, no tracking code
    assert d.code not in text and "Mã tra cứu" not in text and "Mã hồ sơ" not in text


def test_the_token_exists_once_the_result_is_prepared_and_issuing_keeps_it(app, db_session):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    assert d.verification_token is None
    assert prepare(client, d, way="rendered").status_code == 303
    db_session.expire_all()
    token = d.verification_token
    assert token is not None and d.status == DossierStatus.ACCEPTED
    client = app.test_client()
    login(client, user(db_session, "leader@demo.test"))
    assert issue(client, d).status_code == 303
    db_session.expire_all()
    assert d.verification_token == token


def test_a_signed_scan_is_stored_as_uploaded_and_issued_as_signed(app, db_session):
    d = issued_dossier(app, db_session, way="scan")
    assert d.status == DossierStatus.DONE
    assert d.result["kind"] == "scan" and d.result["signed"] is True
    client = app.test_client()
    login(client, user(db_session, "resident@demo.test"))
    data = client.get(f"/my/dossiers/{d.public_id}/result.pdf").data
    assert sha256(data) == d.result["sha256"]
    assert "Bản quét có chữ ký" in pdf_text(data)


@pytest.mark.parametrize(("content", "name"), [
    (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "scan.pdf"),
    (b"just text, not a PDF", "scan.pdf"),
    (b"", "empty.pdf"),
])
def test_a_scan_that_is_not_a_pdf_is_refused_and_nothing_is_stored(app, db_session, content,
                                                                    name):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    response = prepare(client, d, way="scan", scan=(io.BytesIO(content), name))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "PDF" in page or "trống" in page
    db_session.expire_all()
    assert _result_attachments(db_session, d) == [] and d.verification_token is None


def test_a_broken_result_template_says_so_in_vietnamese_and_stores_nothing(app, db_session):
    d = accepted_dossier(db_session)
    version = d.procedure_version
    version.data = {**version.data, "result": {"name": "Giấy", "template": "{{ answers.x("}}
    db_session.commit()
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    response = prepare(client, d, way="rendered")
    assert response.status_code == 400
    assert "Mẫu kết quả có lỗi" in response.get_data(as_text=True)
    db_session.expire_all()
    assert _result_attachments(db_session, d) == [] and d.verification_token is None


@pytest.mark.parametrize("email", ["officer@demo.test", "clerk@demo.test"])
def test_only_a_leader_of_the_handling_office_may_issue(app, db_session, email):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    assert prepare(client, d, way="rendered").status_code == 303
    db_session.expire_all()
    version = d.version
    client = app.test_client()
    login(client, user(db_session, email))
    # The clerk has no result page (403), so take the token from a page every staff member has.
    token = csrf_token(client, "/staff/ledger")
    response = client.post(f"/staff/dossiers/{d.code}/result/issue",
                           data={"csrf_token": token, "version": version})
    assert response.status_code == 403
    db_session.expire_all()
    assert d.status == DossierStatus.ACCEPTED and d.result == {} and d.version == version


def test_a_clerk_cannot_prepare_the_result(app, db_session):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "clerk@demo.test"))
    assert client.get(f"/staff/dossiers/{d.code}/result").status_code == 403


def test_the_leader_cannot_issue_before_a_result_is_prepared(app, db_session):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "leader@demo.test"))
    response = issue(client, d)
    assert response.status_code == 400
    assert "kết quả" in response.get_data(as_text=True)
    db_session.expire_all()
    assert d.status == DossierStatus.ACCEPTED


def test_a_stale_page_cannot_issue(app, db_session):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "leader@demo.test"))
    assert prepare(client, d, way="rendered").status_code == 303
    response = issue(client, d, version=d.version + 5)
    assert response.status_code == 409
    db_session.expire_all()
    assert d.status == DossierStatus.ACCEPTED


def test_an_issued_result_cannot_be_prepared_again(app, db_session):
    d = issued_dossier(app, db_session)
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    before = len(_result_attachments(db_session, d))
    response = prepare(client, d, way="rendered")
    assert response.status_code == 409
    assert len(_result_attachments(db_session, d)) == before


def test_the_resident_gets_the_result_only_when_it_is_theirs_and_issued(app, db_session):
    d = accepted_dossier(db_session)
    url = f"/my/dossiers/{d.public_id}/result.pdf"
    client = app.test_client()
    login(client, user(db_session, "resident@demo.test"))
    assert client.get(url).status_code == 404  # not issued yet
    d = issued_dossier(app, db_session)
    url = f"/my/dossiers/{d.public_id}/result.pdf"
    other = other_resident(db_session)
    db_session.commit()
    client = app.test_client()
    login(client, other)
    assert client.get(url).status_code == 404
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    client = app.test_client()
    login(client, user(db_session, "clerk@demo.test"))
    assert client.get(url).status_code == 200  # staff of its offices may too


def _staff_urls(d):
    return [f"/staff/dossiers/{d.code}/result", f"/staff/dossiers/{d.code}/result/preview.pdf",
            f"/staff/dossiers/{d.code}/result.pdf",
            *[f"/staff/dossiers/{d.code}/slips/{k}.pdf"
              for k in ("receipt", "supplement", "refusal", "apology", "control")]]


def test_every_staff_url_is_hidden_from_other_offices_residents_and_anonymous(app, db_session):
    d = issued_dossier(app, db_session)
    outsider = other_clerk(db_session)
    db_session.commit()
    for account in (outsider, user(db_session, "resident@demo.test")):
        client = app.test_client()
        login(client, account)
        for url in _staff_urls(d):
            assert client.get(url).status_code == 404, (account.email, url)
        token = csrf_token(client, "/verify")
        assert client.post(f"/staff/dossiers/{d.code}/result/issue",
                           data={"csrf_token": token, "version": d.version}).status_code == 404
        assert client.post(f"/staff/dossiers/{d.code}/result",
                           data={"csrf_token": token, "way": "rendered"}).status_code == 404
    anonymous = app.test_client()
    for url in [*_staff_urls(d), "/staff/ledger", "/staff/ledger.pdf"]:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_result_page_fits_the_staff_budget_with_no_script(app, db_session):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "leader@demo.test"))
    assert prepare(client, d, way="rendered").status_code == 303
    response = client.get(f"/staff/dossiers/{d.code}/result")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and not scripts(page)
    assert len(gzip.compress(response.data)) <= 30 * 1024
    assert f"/staff/dossiers/{d.code}/result/preview.pdf" in page
    assert f"/staff/dossiers/{d.code}/result/issue" in page


def test_the_preview_is_a_pdf_and_stores_nothing(app, db_session):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    response = client.get(f"/staff/dossiers/{d.code}/result/preview.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "GIẤY KHAI SINH" in pdf_text(response.data)
    db_session.expire_all()
    assert d.verification_token is None and _result_attachments(db_session, d) == []


def test_a_real_pdf_scan_builder_makes_a_pdf():
    assert a_pdf().startswith(b"%PDF-")
