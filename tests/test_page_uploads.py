"""A chosen file is never dropped: every button of the documents page (resident and counter)
and of the supplement page sends the files chosen on it. Withdrawing asks first; a supplement
request comes first on the resident's pages and its SMS says where to answer."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import DossierStatus, Notification
from district_portal.services.dossiers.workflow import Action
from tests.helpers import (
    BIRTH,
    TEST_PROC,
    ClientRequest,
    act,
    all_types_answers,
    birth_answers,
    dossier_of,
    file_dossier,
    login,
    pdf_bytes,
    png_bytes,
    save,
    start_draft,
    upload,
    user_by_email,
)

MB = 1024 * 1024
FLOWS = ("resident", "counter")


def _draft(app, session, flow):
    """A draft of the test procedure with valid answers, in the resident's or the counter's
    flow; returns (client, base url)."""
    client = app.test_client()
    login(client, user_by_email(session, "resident@demo.test" if flow == "resident"
                                else "clerk@demo.test"))
    rc = ClientRequest(client)
    if flow == "resident":
        _, public_id = start_draft(rc, TEST_PROC)
        base = f"/my/dossiers/{public_id}"
    else:
        page = rc.post("/staff/counter", {"procedure": TEST_PROC}, form_page="/staff/counter",
                       expected_redirect="/staff/counter/")
        base = re.search(r"/staff/counter/\w+", page.find(".//form[@id='form']").get(
            "action")).group(0)
    rc.post(f"{base}/edit", {**all_types_answers(), "_action": "next"},
            form_page=f"{base}/edit", expected_redirect=f"{base}/documents")
    return rc, base


def _names(session, base):
    return sorted(a.original_name for a in dossier_of(session, base.split("/")[-1]).attachments)


@pytest.mark.parametrize("flow", FLOWS)
def test_continue_with_chosen_files_uploads_them_and_goes_to_the_check_page(
        app, session, all_types_procedure, flow):
    rc, base = _draft(app, session, flow)
    page = rc.get(f"{base}/documents")
    # "Continue" is a button of the one form that holds the file inputs.
    form = page.find(".//form[@enctype='multipart/form-data']")
    assert form.get("action") == f"{base}/documents"
    assert form.find(".//button[@value='next']") is not None
    assert form.find(".//input[@name='ban_chinh'][@type='file']") is not None
    review = rc.post(f"{base}/documents", {"_action": "next"}, form_page=f"{base}/documents",
                     files={"ban_chinh": (pdf_bytes(), "giay-chinh.pdf"),
                            "phu_luc": (png_bytes(), "phu-luc.png")},
                     expected_redirect=f"{base}/review")
    assert "giay-chinh.pdf" in review.text() and "phu-luc.png" in review.text()
    assert _names(session, base) == ["giay-chinh.pdf", "phu-luc.png"]


@pytest.mark.parametrize("flow", FLOWS)
def test_a_refused_file_is_named_and_the_other_chosen_file_is_kept(app, session,
                                                                  all_types_procedure, flow):
    rc, base = _draft(app, session, flow)
    page = rc.post(f"{base}/documents", {"_action": "next"}, form_page=f"{base}/documents",
                   files={"ban_chinh": (pdf_bytes(), "tot.pdf"),
                          "phu_luc": (b"<html>not a scan</html>", "hong.pdf")},
                   expected_status=400)
    alert = page.by_id("errors")
    assert "Chỉ nhận tệp PDF, JPEG hoặc PNG." in page.text(alert)
    assert "Chưa tải lên: hong.pdf. Hãy chọn lại tệp." in page.text(alert)
    assert alert.find(".//a").get("href") == "#in-phu_luc"
    assert "field-error" in page.by_id("doc-phu_luc").get("class")
    assert "tot.pdf" in page.text(page.by_id("doc-ban_chinh"))
    assert _names(session, base) == ["tot.pdf"]  # committed although the page answered 400


def test_back_with_a_chosen_file_uploads_it_and_goes_to_the_answers(app, session,
                                                                    all_types_procedure):
    rc, base = _draft(app, session, "resident")
    rc.post(f"{base}/documents", {"_action": "back"}, form_page=f"{base}/documents",
            files={"ban_chinh": (pdf_bytes(), "a.pdf")}, expected_redirect=f"{base}/edit")
    assert _names(session, base) == ["a.pdf"]


def test_removing_a_file_also_keeps_a_file_chosen_meanwhile(app, session, all_types_procedure):
    rc, base = _draft(app, session, "resident")
    rc.post(f"{base}/documents", {"_action": "upload"}, form_page=f"{base}/documents",
            files={"ban_chinh": (pdf_bytes(b"1"), "sai.pdf")},
            expected_redirect=f"{base}/documents")
    wrong = dossier_of(session, base.split("/")[-1]).attachments[0].public_id
    rc.post(f"{base}/documents", {"remove": wrong}, form_page=f"{base}/documents",
            files={"ban_chinh": (pdf_bytes(b"2"), "dung.pdf")},
            expected_redirect=f"{base}/documents")
    assert _names(session, base) == ["dung.pdf"]


def test_the_whole_page_may_carry_more_than_the_request_limit_but_not_more_than_a_dossier(
        fresh_app):
    app = fresh_app(MAX_UPLOAD_BYTES=MB, MAX_CONTENT_LENGTH=MB // 2, MAX_DOSSIER_BYTES=2 * MB)
    with get_db(app).transaction() as s:
        resident = user_by_email(s, "resident@demo.test")
    client = app.test_client()
    login(client, resident)
    rc = ClientRequest(client)
    _, public_id = start_draft(rc)
    save(rc, public_id, birth_answers())
    base = f"/my/dossiers/{public_id}"
    scan = pdf_bytes(b"1" * int(0.8 * MB))  # within the file limit, over the request limit
    upload(rc, public_id, "giay_chung_sinh", scan, "mot.pdf", expected_status=413)
    rc.post(f"{base}/documents", {"_action": "next"}, form_page=f"{base}/documents",
            files={"giay_chung_sinh": (scan, "mot.pdf")}, expected_redirect=f"{base}/review")
    page = rc.post(f"{base}/documents", {"_action": "next"}, form_page=f"{base}/documents",
                   files={"giay_chung_sinh": (pdf_bytes(b"3" * int(2.5 * MB)), "to.pdf")},
                   expected_status=413)
    assert "Các tệp đã chọn cộng lại lớn hơn 2 MB nên chưa tệp nào được tải lên." in page.html
    with get_db(app).transaction() as s:
        assert [a.original_name for a in dossier_of(s, public_id).attachments] == ["mot.pdf"]


# --- the supplement page --------------------------------------------------------------------


@pytest.fixture
def asked(app, resident_client, session, clerk):
    """A filed birth registration whose office asks for a clearer birth certificate."""
    public_id = file_dossier(resident_client)
    act(app, session, public_id, Action.REQUEST_SUPPLEMENT, clerk,
        reason="Bản chụp Giấy chứng sinh bị mờ.")
    return public_id


def _answers(page):
    return {el.get("name"): page.value(el.get("name"))
            for el in page.findall(".//form[@data-uploads]//*[@name]")
            if el.get("name") not in ("csrf_token", "_action") and el.get("type") != "file"}


def test_send_the_supplement_with_a_chosen_file_sends_the_file_too(resident_client, session,
                                                                   asked):
    base = f"/my/dossiers/{asked}"
    form = resident_client.get(f"{base}/supplement")
    resident_client.post(f"{base}/supplement", {**_answers(form), "_action": "send"},
                         form_page=f"{base}/supplement",
                         files={"giay_chung_sinh": (pdf_bytes(b"ro"), "ro-net.pdf")},
                         expected_redirect=base)
    d = dossier_of(session, asked)
    assert d.status == DossierStatus.SUBMITTED
    assert d.events[-1].data["changes"] == ["document:giay_chung_sinh"]
    assert [a.original_name for a in d.attachments if a.kind == "supplement"] == ["ro-net.pdf"]


def test_an_invalid_answer_keeps_the_chosen_file_and_what_was_typed(resident_client, session,
                                                                    asked):
    base = f"/my/dossiers/{asked}"
    form = resident_client.get(f"{base}/supplement")
    page = resident_client.post(
        f"{base}/supplement", {**_answers(form), "child_name": "Nguyễn Văn Bé Ba",
                               "child_birth_date": "31/02/2026", "_action": "send"},
        form_page=f"{base}/supplement",
        files={"giay_chung_sinh": (pdf_bytes(b"ro"), "ro-net.pdf")}, expected_status=400)
    assert "#in-child_birth_date" in page.error_links()
    assert page.value("child_name") == "Nguyễn Văn Bé Ba"
    assert "ro-net.pdf" in page.text(page.by_id("doc-giay_chung_sinh"))
    d = dossier_of(session, asked)
    assert d.status == DossierStatus.SUPPLEMENT_REQUESTED  # nothing sent yet
    assert [a.original_name for a in d.attachments if a.kind == "supplement"] == ["ro-net.pdf"]


def test_upload_on_the_supplement_page_keeps_what_was_typed(resident_client, session, asked):
    base = f"/my/dossiers/{asked}"
    form = resident_client.get(f"{base}/supplement")
    page = resident_client.post(
        f"{base}/supplement", {**_answers(form), "child_name": "Nguyễn Văn Bé Ba",
                               "_action": "upload"},
        form_page=f"{base}/supplement",
        files={"giay_chung_sinh": (pdf_bytes(b"ro"), "ro-net.pdf")}, expected_status=200)
    assert page.value("child_name") == "Nguyễn Văn Bé Ba"
    assert "Đã tải tệp lên." in page.html
    assert dossier_of(session, asked).status == DossierStatus.SUPPLEMENT_REQUESTED


# --- the request comes first, and its SMS says where to answer ------------------------------


def test_the_request_is_first_on_the_dossier_page_and_highlighted_in_my_dossiers(
        app, resident_client, session, asked):
    base = f"/my/dossiers/{asked}"
    page = resident_client.get(base)
    main = page.find(".//main")
    blocks = [el for el in main if el.tag != "h1"]
    assert blocks[0].get("id") == "supplement-request"
    assert "Bản chụp Giấy chứng sinh bị mờ." in page.text(blocks[0])
    assert [a.get("href") for a in blocks[0].findall(".//a")] == [f"{base}/supplement"]
    # The promised date does not stand while the office waits.
    status = page.text(page.find(".//dl[@class='facts']"))
    assert "Tạm dừng từ" in status and "hạn trả kết quả lùi thêm" in status
    other = file_dossier(resident_client)  # newer, but not waiting for the resident
    listing = resident_client.get("/my/dossiers")
    items = listing.findall(".//ul[@class='list']/li")
    first = items[0]
    assert first.find(".//a").get("href") == base
    box = first.find(".//div[@class='needs-action']")
    assert "Cơ quan yêu cầu bổ sung" in page.text(box)
    assert "Bản chụp Giấy chứng sinh bị mờ." in page.text(box)
    assert box.find(".//a").get("href") == f"{base}/supplement"
    second = next(li for li in items if li.find(".//a").get("href") == f"/my/dossiers/{other}")
    assert second.find(".//div[@class='needs-action']") is None


def test_the_sms_carries_a_short_link_that_opens_the_supplement_page(app, resident_client,
                                                                     session, asked,
                                                                     other_resident):
    d = dossier_of(session, asked)
    sms = session.scalars(select(Notification.text).where(
        Notification.dossier_id == d.id, Notification.channel == "sms")
        .order_by(Notification.id)).all()[-1]
    link = f"{app.config['BASE_URL'].rstrip('/')}/supplement/{d.ref}"
    assert sms.startswith(f"Hồ sơ {d.code} cần bổ sung. Bổ sung tại: {link} - ")
    assert sms.endswith("Bản chụp Giấy chứng sinh bị mờ.")
    response = resident_client.client.get(f"/supplement/{d.ref.lower()}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/my/dossiers/{asked}/supplement")
    stranger = app.test_client()
    login(stranger, other_resident)
    assert stranger.get(f"/supplement/{d.ref}").status_code == 404
    assert app.test_client().get(f"/supplement/{d.ref}").status_code in (302, 303)  # log in


# --- withdrawing asks first ----------------------------------------------------------------


def test_withdraw_is_a_link_to_a_page_that_says_what_happens(resident_client, session):
    public_id = file_dossier(resident_client)
    base = f"/my/dossiers/{public_id}"
    page = resident_client.get(base)
    assert page.find(f".//form[@action='{base}/withdraw']") is None  # no one-tap withdrawal
    assert page.text(page.find(f".//a[@href='{base}/withdraw']")) == "Rút hồ sơ này"
    confirm = resident_client.get(f"{base}/withdraw")
    text = confirm.text()
    assert "cơ quan dừng giải quyết" in text and "“Người nộp đã rút hồ sơ”" in text
    assert dossier_of(session, public_id).status == DossierStatus.SUBMITTED  # GET changes nothing
    done = resident_client.post(f"{base}/withdraw", form_page=f"{base}/withdraw",
                                expected_redirect=base)
    assert "Người nộp đã rút hồ sơ" in done.text(done.find(".//dl[@class='facts']"))
    assert dossier_of(session, public_id).status == DossierStatus.WITHDRAWN
    again = resident_client.client.get(f"{base}/withdraw")
    assert again.status_code == 303 and again.headers["Location"].endswith(base)


def test_a_plain_upload_still_works_for_scripts(resident_client, session):
    """The per-document address the script posts to keeps answering as before."""
    _, public_id = start_draft(resident_client)
    save(resident_client, public_id, birth_answers())
    page = upload(resident_client, public_id, "giay_chung_sinh", pdf_bytes(), "mot.pdf")
    assert "mot.pdf" in page.text(page.by_id("doc-giay_chung_sinh"))


def test_too_much_at_the_counter_shows_the_counter_documents_page_with_why(fresh_app):
    app = fresh_app(MAX_UPLOAD_BYTES=MB, MAX_CONTENT_LENGTH=MB // 2, MAX_DOSSIER_BYTES=2 * MB)
    with get_db(app).transaction() as s:
        clerk = user_by_email(s, "clerk@demo.test")
    client = app.test_client()
    login(client, clerk)
    rc = ClientRequest(client)
    page = rc.post("/staff/counter", {"procedure": BIRTH}, form_page="/staff/counter",
                   expected_redirect="/staff/counter/")
    base = re.search(r"/staff/counter/\w+", page.find(".//form[@id='form']").get(
        "action")).group(0)
    big = pdf_bytes(b"1" * int(0.8 * MB))
    one = rc.post(f"{base}/documents/giay_chung_sinh", form_page=f"{base}/documents",
                  files={"giay_chung_sinh": (big, "a.pdf")}, expected_status=413)
    assert "Tệp lớn hơn 1 MB." in one.text(one.by_id("errors"))
    assert one.find(".//a[@href='/staff/counter']") is not None  # the staff layout
    rc.post(f"{base}/documents", {"_action": "upload"}, form_page=f"{base}/documents",
            files={"giay_chung_sinh": (big, "a.pdf")}, expected_redirect=f"{base}/documents")
    whole = rc.post(f"{base}/documents", {"_action": "next"}, form_page=f"{base}/documents",
                    files={"giay_chung_sinh": (pdf_bytes(b"2" * int(2.5 * MB)), "b.pdf")},
                    expected_status=413)
    assert "chưa tệp nào được tải lên" in whole.text(whole.by_id("errors"))


def test_enter_in_an_answer_sends_the_supplement(resident_client, asked):
    """The form's first submit button (the one Enter presses) has no `_action`, which the
    page treats as its main action, "send"; not an upload or the communes' refresh."""
    page = resident_client.get(f"/my/dossiers/{asked}/supplement")
    first = page.find(".//form[@data-uploads]").find(".//button[@type='submit']")
    assert first.get("name") is None and first.get("tabindex") == "-1"
