"""/verify: anyone checks an issued result by its QR token or by uploading the PDF, and learns
nothing personal beyond the masked name."""

from __future__ import annotations

import gzip
import io

import pytest

from district_portal.services.documents.verification import mask_name
from district_portal.text import format_datetime
from tests.factories import accepted_dossier, user
from tests.helpers import a_pdf, csrf_token, issued_dossier, login, prepare, scripts

# Whole values only: a short digit run like "0912" can turn up inside the page's SHA-256.
PERSONAL = ("025190000123", "+84912345678", "0912 345 678", "0912345678", "Tổ 5",
            "hang@example.vn", "Hằng")


@pytest.mark.parametrize(("name", "masked"), [
    ("Nguyễn Thị Hằng", "Nguyễn T. H***"),
    ("Trần Văn Minh Đức", "Trần V. M. Đ***"),
    ("Lê Hà", "Lê H***"),
    ("Hằng", "H***"),
    ("  ", ""),
    (None, ""),
])
def test_names_are_masked_keeping_the_family_name_and_initials(name, masked):
    assert mask_name(name) == masked


def _budget(response):
    page = response.get_data(as_text=True)
    assert not scripts(page)
    assert len(gzip.compress(response.data)) <= 14 * 1024
    return page


def test_the_qr_token_page_says_genuine_and_shows_no_personal_data(app, db_session):
    d = issued_dossier(app, db_session)
    response = app.test_client().get(f"/verify/{d.verification_token}")
    assert response.status_code == 200
    page = _budget(response)
    assert "Văn bản hợp lệ" in page
    assert "Nguyễn T. H***" in page
    assert d.code in page and d.result["sha256"] in page
    assert "Giấy khai sinh (bản điện tử)" in page and "Đăng ký khai sinh" in page
    assert "UBND phường Hòa Bình" in page
    assert format_datetime(d.completed_at) in page
    assert "không có chữ ký số" in page
    for value in PERSONAL:
        assert value not in page, value


def test_the_qr_token_page_shows_what_the_document_says_to_compare_a_paper_copy(app, db_session):
    d = issued_dossier(app, db_session)
    response = app.test_client().get(f"/verify/{d.verification_token}")
    page = _budget(response)
    fields = page[page.index('id="document-fields"'):]
    fields = fields[:fields.index("</dl>")]
    # the fields the result definition names (verify_fields), as the certificate prints them
    for label, value in (("Họ, chữ đệm và tên của trẻ", "Nguyễn Minh Khôi"),
                         ("Ngày sinh của trẻ", "20/02/2026"), ("Giới tính", "Nam")):
        assert f"<dt>{label}</dt><dd><strong>{value}</strong></dd>" in fields
    assert "Nơi sinh" not in fields and "mother" not in fields  # only what is named
    year = d.result["register"]["year"]
    assert f"<dd>1/{year}, quyển số 01/{year}</dd>" in page
    assert "Người ký</dt><dd>Lê Văn Lãnh Đạo" in page
    # plain words instead of "its SHA-256 must match"; the long hash may wrap on a phone
    assert "Mã kiểm tra của tệp" in page and "phải trùng với" not in page
    assert f'<code class="hash">{d.result["sha256"]}</code>' in page


def test_a_signed_scan_is_shown_as_signed(app, db_session):
    d = issued_dossier(app, db_session, way="scan")
    page = app.test_client().get(f"/verify/{d.verification_token}").get_data(as_text=True)
    assert "Bản quét văn bản giấy đã ký" in page


def test_an_unknown_token_is_not_a_document_of_the_portal(app, db_session):
    response = app.test_client().get("/verify/AAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 404
    page = _budget(response)
    assert "không phải văn bản do Cổng dịch vụ công cấp" in page


def test_a_prepared_but_not_issued_result_is_not_genuine_yet(app, db_session):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    assert prepare(client, d, way="rendered").status_code == 303
    db_session.expire_all()
    assert app.test_client().get(f"/verify/{d.verification_token}").status_code == 404


def _upload(client, content: bytes, name: str = "ket-qua.pdf"):
    token = csrf_token(client, "/verify")
    return client.post("/verify", data={"csrf_token": token,
                                        "document": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_the_verify_form_fits_the_budget(client):
    page = _budget(client.get("/verify"))
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page


def test_uploading_the_downloaded_result_finds_it(app, db_session):
    d = issued_dossier(app, db_session)
    client = app.test_client()
    login(client, user(db_session, "resident@demo.test"))
    data = client.get(f"/my/dossiers/{d.public_id}/result.pdf").data
    response = _upload(app.test_client(), data)
    assert response.status_code == 200
    page = _budget(response)
    assert "Hợp lệ" in page and d.code in page and "Nguyễn T. H***" in page
    for value in PERSONAL:
        assert value not in page, value


def test_uploading_another_pdf_says_it_was_not_issued(app, db_session):
    issued_dossier(app, db_session)
    response = _upload(app.test_client(), a_pdf("Một văn bản khác"))
    assert response.status_code == 200
    assert "Không có kết quả nào" in response.get_data(as_text=True)


@pytest.mark.parametrize(("content", "status", "words"), [
    (b"", 400, "trống"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * 64, 400, "PDF"),
    (b"%PDF-1.7 but never ends", 400, "PDF"),
])
def test_bad_uploads_get_a_clear_message(client, content, status, words):
    response = _upload(client, content)
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


def test_an_oversize_upload_is_refused_with_413(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 1024)
    response = _upload(client, a_pdf() + b"\n" * 4096)
    assert response.status_code == 413
    assert "MB" in response.get_data(as_text=True)


def test_no_file_chosen_is_a_400(client):
    token = csrf_token(client, "/verify")
    response = client.post("/verify", data={"csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_posting_without_the_csrf_token_is_refused(client):
    response = client.post("/verify", data={"document": (io.BytesIO(a_pdf()), "x.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_posting_is_rate_limited(fresh_app):
    from district_portal.extensions import limiter

    limiter.reset()
    app = fresh_app(seeded=False, RATE_LIMITS_ON=True)
    client = app.test_client()
    token = csrf_token(client, "/verify")
    statuses = [client.post("/verify", data={"csrf_token": token}).status_code
                for _ in range(21)]
    limiter.reset()
    assert statuses[-1] == 429 and 429 not in statuses[:20]
