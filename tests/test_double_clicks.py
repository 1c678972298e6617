"""Double clicks make one of each (issue #11 item 18): apply → one draft, the same upload →
one attachment (counted once against the dossier's limit), prepare-result → one result, and
a counter submit sent twice leads to the filed dossier, not "page not found". The concurrent
tests run on whichever engine the suite runs on (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import io
import re
import threading

from sqlalchemy import func, select

from district_portal.db import get_db
from district_portal.models import Attachment, Dossier, DossierStatus
from tests.factories import BIRTH, MARRIAGE, accepted_dossier, pdf_upload, staff_applicant_answers
from tests.helpers import (
    ClientRequest,
    birth_answers,
    csrf_token,
    login,
    pdf_bytes,
    prepare,
    save,
    start_draft,
    upload,
    user_by_email,
)

N = 5


def _at_once(n: int, action) -> list:
    """Run action(i) in n threads released together; the results, or the first error."""
    barrier = threading.Barrier(n, timeout=60)
    results: list = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            prepared = action(i, None)
            barrier.wait()
            results[i] = action(i, prepared)
        except BaseException as exc:  # reported below, never lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def _client(app, email):
    with get_db(app).transaction() as s:
        account = user_by_email(s, email)
    client = app.test_client()
    login(client, account)
    return client


def _count(app, model, *where) -> int:
    with get_db(app).transaction() as s:
        return s.scalar(select(func.count(model.id)).where(*where))


def test_apply_twice_in_a_row_makes_one_draft(resident_client, session):
    _, first = start_draft(resident_client)
    _, second = start_draft(resident_client)
    assert first == second
    save(resident_client, first, birth_answers())  # typed into: a new apply is a new draft
    _, third = start_draft(resident_client)
    assert third != first


def test_apply_clicked_five_times_at_once_makes_one_draft(fresh_app):
    app = fresh_app()

    def apply(i, prepared):
        if prepared is None:
            client = _client(app, "resident@demo.test")
            return client, csrf_token(client, f"/procedures/{BIRTH}")
        client, token = prepared
        response = client.post(f"/procedures/{BIRTH}/apply", data={"csrf_token": token})
        return response.status_code, response.headers.get("Location", "")

    results = _at_once(N, apply)
    assert {status for status, _ in results} == {303}
    assert len({location for _, location in results}) == 1
    assert _count(app, Dossier, Dossier.status == DossierStatus.DRAFT) == 1


def test_the_same_upload_twice_makes_one_attachment(resident_client, session):
    _, public_id = start_draft(resident_client)
    save(resident_client, public_id, birth_answers())
    for _ in range(2):
        upload(resident_client, public_id, "giay_chung_sinh", pdf_bytes(b"mot lan"))
    d = session.scalar(select(Dossier).where(Dossier.public_id == public_id))
    assert len(d.attachments) == 1


def test_the_same_upload_sent_five_times_at_once_makes_one_attachment(fresh_app):
    app = fresh_app()
    client = _client(app, "resident@demo.test")
    rc = ClientRequest(client)
    _, public_id = start_draft(rc)
    save(rc, public_id, birth_answers())
    content = pdf_bytes(b"x" * 100_000)

    def send(i, prepared):
        if prepared is None:
            c = _client(app, "resident@demo.test")
            return c, csrf_token(c, f"/my/dossiers/{public_id}/documents")
        c, token = prepared
        return c.post(f"/my/dossiers/{public_id}/documents/giay_chung_sinh",
                      data={"csrf_token": token,
                            "giay_chung_sinh": (io.BytesIO(content), "a.pdf")},
                      content_type="multipart/form-data").status_code

    assert _at_once(N, send) == [303] * N
    with get_db(app).transaction() as s:
        d = s.scalar(select(Dossier).where(Dossier.public_id == public_id))
        assert [a.size for a in d.attachments] == [len(content)]


def test_prepare_result_clicked_five_times_at_once_makes_one_result(fresh_app):
    app = fresh_app()
    with app.test_request_context(), get_db(app).transaction() as s:
        d = accepted_dossier(s)
        code, dossier_id = d.code, d.id

    class Ref:  # what tests.helpers.prepare needs of the dossier
        pass

    ref = Ref()
    ref.code = code

    def click(i, prepared):
        if prepared is None:
            c = _client(app, "officer@demo.test")
            csrf_token(c, f"/staff/dossiers/{code}/result")  # warm the session
            return c
        return prepare(prepared, ref, way="rendered").status_code

    assert _at_once(N, click) == [303] * N
    assert _count(app, Attachment, Attachment.dossier_id == dossier_id,
                  Attachment.kind == "result") == 1


def test_prepare_result_twice_in_a_row_makes_one_result(app, db_session):
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user_by_email(db_session, "officer@demo.test"))
    assert prepare(client, d, way="rendered").status_code == 303
    assert prepare(client, d, way="rendered").status_code == 303
    db_session.expire_all()
    assert len([a for a in d.attachments if a.kind == "result"]) == 1


def test_a_counter_submit_sent_twice_leads_to_the_filed_dossier(client, sess):
    clerk = user_by_email(sess, "clerk@demo.test")
    login(client, clerk)
    token = csrf_token(client, "/staff/counter")
    started = client.post("/staff/counter", data={"csrf_token": token, "procedure": MARRIAGE})
    public_id = re.search(r"/staff/counter/(\w+)/edit", started.headers["Location"]).group(1)
    answers = {**staff_applicant_answers(name="Đinh Văn Khách", phone="0977 111 222"),
               "husband_name": "Đinh Văn Khách", "husband_id_number": "001234567890",
               "wife_name": "Phạm Thị Vợ", "wife_id_number": "001234567899",
               "contact_phone": "0977 111 222", "csrf_token": token}
    answers.pop("applicant_office")
    assert client.post(f"/staff/counter/{public_id}/edit", data=answers).status_code == 303
    assert client.post(f"/staff/counter/{public_id}/documents/xac_nhan_hon_nhan",
                       data={"csrf_token": token, "xac_nhan_hon_nhan": pdf_upload()},
                       content_type="multipart/form-data").status_code == 303
    review = client.get(f"/staff/counter/{public_id}/review").get_data(as_text=True)
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"', review).group(1)
    first = client.post(f"/staff/counter/{public_id}/submit",
                        data={"csrf_token": token, "nonce": nonce})
    second = client.post(f"/staff/counter/{public_id}/submit",
                         data={"csrf_token": token, "nonce": nonce})
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert re.search(r"/staff/dossiers/[\w.-]+$", second.headers["Location"])
    sess.expire_all()
    d = sess.scalar(select(Dossier).where(Dossier.public_id == public_id))
    assert d.status == DossierStatus.SUBMITTED
    assert [e.action for e in d.events] == ["submit"]
