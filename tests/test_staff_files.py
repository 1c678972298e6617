"""Files at the desk: staff of the dossier's office download what the applicant uploaded, and
the counter clerk removes a file from a walk-in draft; everyone else gets a 404."""

from __future__ import annotations

import io

from flask import current_app
from werkzeug.datastructures import FileStorage

from district_portal.services import storage
from district_portal.services.dossiers import filing
from tests.factories import (
    MARRIAGE,
    TINY_PDF,
    create_filed_dossier,
    pdf_upload,
    procedure,
    staff,
    user,
)
from tests.helpers import csrf_token, login, png_bytes


def _png_upload(content: bytes) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename="anh-chup.png",
                       content_type="image/png")


def test_staff_of_the_office_download_an_applicant_upload_as_an_attachment_with_nosniff(
        app, client, sess):
    d = create_filed_dossier(sess)
    attachment = d.attachments[0]
    sess.commit()
    for email in ("clerk@demo.test", "officer@demo.test", "leader@demo.test"):
        client = app.test_client()
        login(client, user(sess, email))
        response = client.get(f"/staff/dossiers/{d.code}/files/{attachment.public_id}")
        assert response.status_code == 200, email
        assert response.data == TINY_PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "no-store" in response.headers["Cache-Control"]


def test_an_image_upload_is_served_with_its_sniffed_image_type(app, client, sess):
    resident = user(sess, "resident@demo.test")
    draft = filing.start_draft(sess, resident, procedure(sess, MARRIAGE))
    content = png_bytes()
    attachment = filing.add_attachment(sess, draft, "xac_nhan_hon_nhan",
                                       _png_upload(content), resident)
    d = create_filed_dossier(sess)  # a submitted dossier of the same office
    attachment.dossier = d
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))
    response = client.get(f"/staff/dossiers/{d.code}/files/{attachment.public_id}")
    assert response.status_code == 200
    assert response.data == content and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_staff_of_another_office_and_residents_get_not_found_for_an_upload(app, sess):
    d = create_filed_dossier(sess)
    url = f"/staff/dossiers/{d.code}/files/{d.attachments[0].public_id}"
    outsiders = [staff(sess, "clerk"), staff(sess, "leader"), user(sess, "resident@demo.test")]
    sess.commit()
    for account in outsiders:
        client = app.test_client()
        login(client, account)
        response = client.get(url)
        assert response.status_code == 404, account.email
        assert response.data != TINY_PDF
    clerk = app.test_client()
    login(clerk, user(sess, "clerk@demo.test"))
    assert clerk.get(f"/staff/dossiers/{d.code}/files/no-such-file").status_code == 404


# --- counter drafts: deleting a file ------------------------------------------------------------


def _counter_draft_with_a_file(sess):
    clerk = user(sess, "clerk@demo.test")
    draft = filing.start_counter_draft(sess, clerk, procedure(sess, MARRIAGE))
    attachment = filing.add_attachment(sess, draft, "xac_nhan_hon_nhan", pdf_upload(), clerk)
    sess.commit()
    return draft, attachment


def _files_of(sess, draft) -> list[str]:
    sess.expire_all()
    return [a.public_id for a in draft.attachments]


def test_the_counter_clerk_removes_a_file_from_a_walk_in_draft(app, client, sess):
    draft, attachment = _counter_draft_with_a_file(sess)
    assert storage.path_of(current_app.config["UPLOAD_DIR"], attachment.stored_name).exists()
    login(client, user(sess, "clerk@demo.test"))
    documents = f"/staff/counter/{draft.public_id}/documents"
    token = csrf_token(client, documents)
    response = client.post(f"/staff/counter/{draft.public_id}/files/{attachment.public_id}"
                           "/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(documents)
    assert _files_of(sess, draft) == []
    assert "Đã xóa tệp." in client.get(documents).get_data(as_text=True)


def test_only_a_clerk_of_the_receiving_office_may_remove_a_counter_file(app, sess):
    draft, attachment = _counter_draft_with_a_file(sess)
    url = f"/staff/counter/{draft.public_id}/files/{attachment.public_id}/delete"
    outsiders = [staff(sess, "clerk"), user(sess, "officer@demo.test"),
                 user(sess, "resident@demo.test")]
    sess.commit()
    own = app.test_client()
    login(own, user(sess, "clerk@demo.test"))
    token = csrf_token(own, f"/staff/counter/{draft.public_id}/documents")
    for account in outsiders:
        client = app.test_client()
        login(client, account)
        with client.session_transaction() as s, own.session_transaction() as o:
            s["csrf_token"] = o["csrf_token"]  # a valid token: only access may refuse
        assert client.post(url, data={"csrf_token": token}).status_code == 404, account.email
    assert _files_of(sess, draft) == [attachment.public_id]


def test_removing_a_counter_file_needs_the_csrf_token(app, client, sess):
    draft, attachment = _counter_draft_with_a_file(sess)
    login(client, user(sess, "clerk@demo.test"))
    url = f"/staff/counter/{draft.public_id}/files/{attachment.public_id}/delete"
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(url, data=data)
        assert response.status_code == 400
        assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    assert _files_of(sess, draft) == [attachment.public_id]
