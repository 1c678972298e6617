"""Uploads: checked by content, limited in size, stored under their SHA-256; downloads only for
those who may see the dossier."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pytest

from district_portal.db import get_db
from district_portal.models import DossierStatus
from tests.helpers import (
    TEST_PROC,
    ClientRequest,
    all_types_answers,
    birth_answers,
    dossier_of,
    jpeg_bytes,
    login,
    pdf_bytes,
    png_bytes,
    save,
    start_draft,
    submit,
    upload,
    user_by_email,
)

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 2000
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
MB = 1024 * 1024


@pytest.fixture
def draft(resident_client, all_types_procedure):
    _, public_id = start_draft(resident_client, TEST_PROC)
    save(resident_client, public_id, all_types_answers())
    upload(resident_client, public_id, "ban_chinh", pdf_bytes(b"first"), "truoc.pdf")
    return public_id


def _intact(session, public_id, names=("truoc.pdf",)):
    d = dossier_of(session, public_id)
    assert d.status == DossierStatus.DRAFT
    assert [a.original_name for a in d.attachments] == list(names)
    assert d.answers["t_text"] == "Nguyễn Văn A"
    return d


def _no_temp_files(upload_dir):
    assert not list(Path(upload_dir).rglob(".upload-*"))


@pytest.mark.parametrize(("content", "name", "message"), [
    (HTML, "giay-to.pdf", "Chỉ nhận tệp PDF, JPEG hoặc PNG."),
    (ELF, "anh.jpg", "Chỉ nhận tệp PDF, JPEG hoặc PNG."),
    (b"%PDF-1.4\n" + b"x" * 5000, "cat-do.pdf", "Chỉ nhận tệp PDF, JPEG hoặc PNG."),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "hong.png", "Chỉ nhận tệp PDF, JPEG hoặc PNG."),
    (b"", "rong.pdf", "Tệp rỗng. Hãy chọn lại tệp."),
], ids=["html-named-pdf", "elf", "truncated-pdf", "broken-png", "empty"])
def test_a_file_that_is_not_a_real_pdf_jpeg_or_png_is_refused_and_the_draft_is_intact(
        app, resident_client, session, draft, content, name, message):
    page = upload(resident_client, draft, "ban_chinh", content, name, expected_status=400)
    assert message in page.text(page.find(".//*[@class='errors']"))
    assert page.find(".//*[@class='errors']//a").get("href") == "#in-ban_chinh"
    assert "alert(1)" not in page.html
    _intact(session, draft)
    _no_temp_files(app.config["UPLOAD_DIR"])


def test_a_request_over_the_request_limit_gets_413_with_the_page(app, resident_client,
                                                                 session, draft):
    page = upload(resident_client, draft, "ban_chinh", pdf_bytes(b"0" * (11 * MB)), "to.pdf",
                  expected_status=413)
    assert "Tệp lớn hơn 10 MB." in page.html
    assert page.find(".//form[@enctype='multipart/form-data']") is not None
    _intact(session, draft)
    _no_temp_files(app.config["UPLOAD_DIR"])


def _fresh_resident(app):
    with get_db(app).transaction() as s:
        user = user_by_email(s, "resident@demo.test")
    client = app.test_client()
    login(client, user)
    return ClientRequest(client)


def _fresh_draft(rc):
    _, public_id = start_draft(rc)
    save(rc, public_id, birth_answers())
    return public_id


def test_a_file_within_the_request_limit_but_over_the_file_limit_gets_413(fresh_app):
    app = fresh_app(MAX_UPLOAD_BYTES=MB, MAX_CONTENT_LENGTH=2 * MB)
    rc = _fresh_resident(app)
    public_id = _fresh_draft(rc)
    page = upload(rc, public_id, "giay_chung_sinh", pdf_bytes(b"0" * int(1.1 * MB)),
                  expected_status=413)
    assert "Tệp lớn hơn 1 MB. Hãy chụp hoặc quét ảnh nhỏ hơn rồi thử lại." in page.html
    with get_db(app).transaction() as s:
        assert dossier_of(s, public_id).attachments == []
    _no_temp_files(app.config["UPLOAD_DIR"])


def test_the_dossier_total_limit_gets_413_and_keeps_the_other_files(fresh_app):
    app = fresh_app(MAX_UPLOAD_BYTES=MB, MAX_CONTENT_LENGTH=2 * MB, MAX_DOSSIER_BYTES=2 * MB)
    rc = _fresh_resident(app)
    public_id = _fresh_draft(rc)
    for n in (1, 2):
        upload(rc, public_id, "giay_chung_sinh", pdf_bytes(bytes([n]) * int(0.9 * MB)),
               f"phan-{n}.pdf")
    page = upload(rc, public_id, "giay_chung_sinh", pdf_bytes(b"3" * int(0.9 * MB)),
                  "phan-3.pdf", expected_status=413)
    assert "Tệp này làm hồ sơ vượt quá 2 MB." in page.html
    with get_db(app).transaction() as s:
        names = [a.original_name for a in dossier_of(s, public_id).attachments]
    assert names == ["phan-1.pdf", "phan-2.pdf"]
    assert "phan-1.pdf" in page.html and "phan-2.pdf" in page.html


def test_a_file_name_with_a_path_is_stored_under_its_sha256(app, resident_client, session,
                                                             draft):
    content = pdf_bytes(b"ten tep hiem")
    upload(resident_client, draft, "phu_luc", content,
           "../../etc/" + unicodedata.normalize("NFD", "Giấy chứng sinh của bé.pdf"))
    upload(resident_client, draft, "phu_luc", pdf_bytes(b"win"), "..\\..\\windows\\Bản sao.pdf")
    d = dossier_of(session, draft)
    first, second = [a for a in d.attachments if a.document_key == "phu_luc"]
    assert first.original_name == "Giấy chứng sinh của bé.pdf"
    # (the multipart parser already drops backslashes, as quoted-string escapes)
    assert second.original_name.endswith("Bản sao.pdf")
    assert not {"/", "\\"} & set(second.original_name) and ".." not in second.original_name
    sha = hashlib.sha256(content).hexdigest()
    assert first.stored_name == sha
    stored = Path(app.config["UPLOAD_DIR"]) / sha[:2] / sha[2:4] / sha
    assert stored.read_bytes() == content
    assert not (Path(app.config["UPLOAD_DIR"]).parent / "etc").exists()


def test_real_png_and_jpeg_photos_are_accepted_and_several_files_per_document(
        resident_client, session, draft):
    upload(resident_client, draft, "ban_chinh", png_bytes(), "anh-1.png")
    page = upload(resident_client, draft, "ban_chinh", jpeg_bytes(), "anh-2.jpg")
    d = dossier_of(session, draft)
    assert [(a.original_name, a.content_type) for a in d.attachments] == [
        ("truoc.pdf", "application/pdf"), ("anh-1.png", "image/png"),
        ("anh-2.jpg", "image/jpeg")]
    section = page.by_id("doc-ban_chinh")
    assert [page.text(a) for a in section.iter("a")] == ["truoc.pdf", "anh-1.png", "anh-2.jpg"]


def test_an_unknown_document_key_is_404(resident_client, draft):
    upload(resident_client, draft, "khong_co", pdf_bytes(), expected_status=404)


def test_a_file_is_removed_from_a_draft(resident_client, session, draft):
    d = dossier_of(session, draft)
    file_id = d.attachments[0].public_id
    resident_client.post(f"/my/dossiers/{draft}/files/{file_id}/delete",
                         form_page=f"/my/dossiers/{draft}/documents",
                         expected_redirect=f"/my/dossiers/{draft}/documents")
    assert dossier_of(session, draft).attachments == []


def test_missing_mandatory_documents_block_submission(resident_client, session,
                                                      all_types_procedure):
    _, public_id = start_draft(resident_client, TEST_PROC)
    save(resident_client, public_id, all_types_answers())
    upload(resident_client, public_id, "phu_luc", pdf_bytes(), "phu-luc.pdf")
    review = resident_client.get(f"/my/dossiers/{public_id}/review")
    assert "Còn thiếu: hãy tải lên trước khi nộp" in review.html
    assert review.find(".//input[@name='nonce']") is None
    page = resident_client.post(f"/my/dossiers/{public_id}/submit", {"nonce": "abc123"},
                                form_page=f"/my/dossiers/{public_id}/documents",
                                expected_redirect=f"/my/dossiers/{public_id}/review")
    assert "Hãy tải lên đủ các giấy tờ bắt buộc trước khi nộp." in page.html
    d = dossier_of(session, public_id)
    assert d.status == DossierStatus.DRAFT and d.code is None and d.ref is None
    assert [a.original_name for a in d.attachments] == ["phu-luc.pdf"]


def test_the_owner_downloads_a_file_as_an_attachment(resident_client, session, draft):
    d = dossier_of(session, draft)
    response = resident_client.client.get(f"/my/dossiers/{draft}/files/"
                                          f"{d.attachments[0].public_id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.data == pdf_bytes(b"first")


def test_another_resident_and_anonymous_cannot_download(app, resident_client, session, draft,
                                                        other_resident):
    d = dossier_of(session, draft)
    url = f"/my/dossiers/{draft}/files/{d.attachments[0].public_id}"
    submit(resident_client, draft)
    other = app.test_client()
    login(other, other_resident)
    assert other.get(url).status_code == 404
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302
    assert "/account/login" in anonymous.headers["Location"]
    assert pdf_bytes(b"first") not in anonymous.data
