"""After filing: what can be filed at all, tracking, withdrawal, "My dossiers", supplements."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from district_portal import codes
from district_portal.models import Dossier, DossierEvent, DossierStatus
from district_portal.services.dossiers.filing import find_for_tracking
from district_portal.services.dossiers.workflow import Action
from tests.helpers import (
    BIRTH,
    ClientRequest,
    act,
    birth_answers,
    demo_procedure,
    dossier_of,
    file_dossier,
    import_procedure,
    login,
    pdf_bytes,
    save,
    start_draft,
    upload,
)

SCRIPT = "<script>alert(1)</script>"


def _count(session):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Dossier))


# --- what can be filed ---------------------------------------------------------------------


def test_an_unpublished_procedure_cannot_be_filed(resident_client, session):
    entry = demo_procedure(BIRTH)
    entry["published"] = False
    import_procedure(session, entry)
    before = _count(session)
    page = resident_client.post(f"/procedures/{BIRTH}/apply", expected_status=404)
    assert "Không tìm thấy" in page.html or page.status == 404
    assert _count(session) == before


def test_a_procedure_filed_at_the_office_only_is_refused_with_a_vietnamese_message(
        resident_client, session):
    before = _count(session)
    page = resident_client.post("/procedures/1.001776/apply", expected_status=400)
    assert "Thủ tục này chỉ nộp trực tiếp tại cơ quan." in page.html
    assert _count(session) == before


# --- tracking ------------------------------------------------------------------------------


@pytest.fixture
def filed(resident_client, session):
    public_id = file_dossier(resident_client)
    return dossier_of(session, public_id)


def _track(app, lookup, phone, expected_status):
    rc = ClientRequest(app.test_client())
    return rc.post("/track", {"lookup": lookup, "phone": phone}, expected_status=expected_status)


def _fuzzy_ref(ref: str) -> str:
    """What a resident might type: lower case, O for 0, l for 1, spaces and a dash."""
    typed = ref.lower().replace("0", "O").replace("1", "l")
    return f" {typed[:2]} {typed[2:4]}-{typed[4:6]} {typed[6:]} "


@pytest.mark.parametrize("phone", ["0912 345 678", "+84912345678", "84 912 345 678",
                                   "0912.345.678", "(+84) 912-345-678"])
def test_a_dossier_is_tracked_by_code_or_ref_with_the_phone_in_any_format(app, filed, phone):
    for lookup in (filed.code.lower(), f"  {filed.code} ", filed.ref, _fuzzy_ref(filed.ref),
                   codes.format_ref(filed.ref)):
        page = _track(app, lookup, phone, 200)
        assert filed.code in page.text(page.find(".//dl")), lookup
        assert "Chờ tiếp nhận" in page.html and filed.receiving_office.name in page.html
        # Status, dates and office only: not what was asked for, nor who asked.
        assert "Đăng ký khai sinh" not in page.html and "Nguyễn" not in page.text()


def test_the_right_code_with_the_wrong_phone_reveals_nothing(app, filed):
    for lookup in (filed.code, filed.ref):
        page = _track(app, lookup, "0987 654 321", 404)
        assert "Không có hồ sơ nào khớp với mã và số điện thoại hoặc số CCCD này." in page.html
        assert "Đăng ký khai sinh" not in page.html and "Chờ tiếp nhận" not in page.html
        assert page.find(".//dl") is None
        assert codes.format_ref(filed.ref) not in page.html


def test_tracking_never_puts_the_code_or_phone_in_a_url(app, filed):
    page = ClientRequest(app.test_client()).get(
        f"/track?lookup={filed.code}&phone=0912345678")
    assert page.find(".//dl") is None and "Đăng ký khai sinh" not in page.html
    form = page.find(".//main//form")
    assert form.get("method") == "post" and form.get("action") == "/track"


def test_a_draft_is_never_found_by_tracking(app, session, resident_client):
    _, public_id = start_draft(resident_client)
    with app.app_context():
        d = dossier_of(session, public_id)
        d.code, d.ref, d.applicant_phone = "000.00.04.T25-261125-9999", codes.new_ref(), \
            "+84912345678"
        session.flush()
        assert find_for_tracking(session, d.code, "+84912345678") is None
        assert find_for_tracking(session, d.ref, "+84912345678") is None
        session.rollback()


HOSTILE_TRACK = [
    (SCRIPT, SCRIPT), ("' OR '1'='1", "' OR '1'='1"), ("\x00", "\x00"), ("A" * 5000, "9" * 5000),
    ("000.00.04.T25-260231-0001", "0912345678"), ("\u202eABCD-EFGH", "\u202e0912345678"),
    ("", ""), ("%00", "+84 999"), ("😀😀😀😀-😀😀😀😀", "０９１２３４５６７８"),
]


@pytest.mark.parametrize(("lookup", "phone"), HOSTILE_TRACK)
def test_hostile_tracking_input_gets_a_400_page_never_a_500(app, filed, lookup, phone):
    page = _track(app, lookup, phone, 400)
    assert SCRIPT not in page.html
    assert page.find(".//*[@class='errors']") is not None
    assert page.find(".//dl") is None


def test_a_script_in_the_office_note_is_escaped_on_the_dossier_page_and_never_on_track(
        app, session, resident_client, filed, clerk):
    act(app, session, filed.public_id, Action.REQUEST_SUPPLEMENT, clerk,
        reason=f"Bổ sung giấy chứng sinh {SCRIPT}")
    dossier_page = resident_client.get(f"/my/dossiers/{filed.public_id}")
    for page in (dossier_page, resident_client.get(
            f"/my/dossiers/{filed.public_id}/supplement")):
        assert SCRIPT not in page.html
        assert "Bổ sung giấy chứng sinh &lt;script&gt;alert(1)&lt;/script&gt;" in page.html
    # /track shows the status, the dates and the office: no note, no staff name.
    track_page = _track(app, filed.ref, "0912345678", 200)
    assert "Yêu cầu bổ sung" in track_page.text(track_page.find(".//dl"))
    assert "Bổ sung giấy chứng sinh" not in track_page.html and SCRIPT not in track_page.html
    assert clerk.full_name not in track_page.html


def test_a_script_in_an_answer_is_escaped_on_the_dossier_page(resident_client, session):
    public_id = file_dossier(resident_client, answers=birth_answers(
        child_name="<b>Bé</b>", applicant_name=SCRIPT))
    page = resident_client.get(f"/my/dossiers/{public_id}")
    assert SCRIPT not in page.html and "<b>Bé</b>" not in page.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html


# --- withdrawal and "My dossiers" ----------------------------------------------------------


def test_a_submitted_dossier_is_withdrawn(resident_client, session, filed):
    page = resident_client.post(f"/my/dossiers/{filed.public_id}/withdraw",
                                form_page=f"/my/dossiers/{filed.public_id}/withdraw",
                                expected_redirect=f"/my/dossiers/{filed.public_id}")
    assert "Hồ sơ của bạn đã được rút." in page.html
    assert "Người nộp đã rút hồ sơ" in page.html
    assert "Rút hồ sơ này" not in page.html
    d = dossier_of(session, filed.public_id)
    assert d.status == DossierStatus.WITHDRAWN and d.completed_at is not None
    assert [e.action for e in d.events] == ["submit", "withdraw"]


def test_an_accepted_dossier_cannot_be_withdrawn(app, resident_client, session, filed, clerk):
    act(app, session, filed.public_id, Action.ACCEPT, clerk)
    page = resident_client.get(f"/my/dossiers/{filed.public_id}")
    assert "Đã tiếp nhận" in page.html and "Rút hồ sơ này" not in page.html
    assert page.find(f".//a[@href='/my/dossiers/{filed.public_id}/withdraw']") is None
    refused = resident_client.post(f"/my/dossiers/{filed.public_id}/withdraw",
                                   expected_status=409)
    assert "Không thể thực hiện thao tác này khi hồ sơ đang ở trạng thái" in refused.html
    assert dossier_of(session, filed.public_id).status == DossierStatus.ACCEPTED


def test_another_resident_cannot_see_or_withdraw_a_dossier(app, filed, other_resident,
                                                           session):
    client = app.test_client()
    login(client, other_resident)
    rc = ClientRequest(client)
    rc.get(f"/my/dossiers/{filed.public_id}", expected_status=404)
    rc.post(f"/my/dossiers/{filed.public_id}/withdraw", expected_status=404)
    assert dossier_of(session, filed.public_id).status == DossierStatus.SUBMITTED


def test_my_dossiers_lists_drafts_and_dossiers_with_vietnamese_statuses(
        app, resident_client, session, clerk):
    _, draft = start_draft(resident_client)
    # Typed into (an untouched draft started seconds ago is what a second apply reuses).
    save(resident_client, draft, birth_answers(), action="later",
         expected_redirect="/my/dossiers")
    submitted = file_dossier(resident_client)
    accepted = file_dossier(resident_client)
    act(app, session, accepted, Action.ACCEPT, clerk)
    withdrawn = file_dossier(resident_client)
    resident_client.post(f"/my/dossiers/{withdrawn}/withdraw",
                         form_page=f"/my/dossiers/{withdrawn}",
                         expected_redirect=f"/my/dossiers/{withdrawn}")
    page = resident_client.get("/my/dossiers")
    assert page.find(".//h1").text == "Hồ sơ của tôi"
    items = {li.find("a").get("href"): page.text(li)
             for li in page.findall(".//ul[@class='list']/li")}
    assert "Bản nháp, lưu lần cuối" in items[f"/my/dossiers/{draft}/edit"]
    assert "Chờ tiếp nhận" in items[f"/my/dossiers/{submitted}"]
    assert "Đã tiếp nhận" in items[f"/my/dossiers/{accepted}"]
    assert "Người nộp đã rút hồ sơ" in items[f"/my/dossiers/{withdrawn}"]
    assert dossier_of(session, submitted).code in items[f"/my/dossiers/{submitted}"]


# --- supplements ---------------------------------------------------------------------------


@pytest.mark.parametrize("accept_first", [False, True], ids=["before-accept", "after-accept"])
def test_a_supplement_with_a_new_file_returns_the_dossier_where_it_was(
        app, resident_client, session, filed, clerk, accept_first):
    if accept_first:
        act(app, session, filed.public_id, Action.ACCEPT, clerk)
    back_to = DossierStatus.ACCEPTED if accept_first else DossierStatus.SUBMITTED
    act(app, session, filed.public_id, Action.REQUEST_SUPPLEMENT, clerk,
        reason="Bản chụp giấy chứng sinh bị mờ, hãy chụp lại.")
    base = f"/my/dossiers/{filed.public_id}"
    page = resident_client.get(base)
    assert "Cơ quan yêu cầu bổ sung" in page.html
    assert "Bản chụp giấy chứng sinh bị mờ, hãy chụp lại." in page.html
    assert page.find(f".//a[@href='{base}/supplement']") is not None
    upload(resident_client, filed.public_id, "giay_chung_sinh", pdf_bytes(b"ro net"),
           "chup-lai.pdf", supplement=True)
    form = resident_client.get(f"{base}/supplement")
    data = {el.get("name"): form.value(el.get("name"))
            for el in form.findall(".//form[@novalidate]//*[@name]")
            if el.get("name") not in ("csrf_token", "_action")}
    page = resident_client.post(f"{base}/supplement", {**data, "_action": "send"},
                                form_page=f"{base}/supplement", expected_redirect=base)
    assert "Đã gửi hồ sơ bổ sung đến cơ quan." in page.html
    d = dossier_of(session, filed.public_id)
    assert d.status == back_to and d.paused_at is None
    event = d.events[-1]
    assert event.action == "supplement" and event.data["changes"] == ["document:giay_chung_sinh"]
    assert (event.from_status, event.to_status) == ("supplement_requested", str(back_to))


def test_a_supplement_correcting_an_answer_lists_the_change(app, resident_client, session,
                                                           filed, clerk):
    act(app, session, filed.public_id, Action.REQUEST_SUPPLEMENT, clerk,
        reason="Tên của trẻ viết sai.")
    base = f"/my/dossiers/{filed.public_id}"
    resident_client.post(f"{base}/supplement",
                         {**birth_answers(child_name="Nguyễn Văn Bé Hai"), "_action": "send"},
                         form_page=f"{base}/supplement", expected_redirect=base)
    d = dossier_of(session, filed.public_id)
    assert d.status == DossierStatus.SUBMITTED
    assert d.answers["child_name"] == "Nguyễn Văn Bé Hai"
    assert d.events[-1].data["changes"] == ["child_name"]


def test_a_supplement_with_no_change_is_refused_with_a_message(app, resident_client, session,
                                                              filed, clerk):
    act(app, session, filed.public_id, Action.REQUEST_SUPPLEMENT, clerk, reason="Thiếu giấy.")
    base = f"/my/dossiers/{filed.public_id}"
    page = resident_client.post(f"{base}/supplement", {**birth_answers(), "_action": "send"},
                                form_page=f"{base}/supplement", expected_status=400)
    assert "Hãy sửa thông tin hoặc thêm giấy tờ trước khi gửi bổ sung." in page.html
    d = dossier_of(session, filed.public_id)
    assert d.status == DossierStatus.SUPPLEMENT_REQUESTED
    assert [e.action for e in d.events] == ["submit", "request_supplement"]


def test_an_invalid_supplement_answer_is_refused_and_shown_again(app, resident_client,
                                                                session, filed, clerk):
    act(app, session, filed.public_id, Action.REQUEST_SUPPLEMENT, clerk, reason="Sửa ngày.")
    base = f"/my/dossiers/{filed.public_id}"
    page = resident_client.post(f"{base}/supplement",
                                {**birth_answers(child_birth_date="31/02/2026"),
                                 "_action": "send"},
                                form_page=f"{base}/supplement", expected_status=400)
    assert "#in-child_birth_date" in page.error_links()
    assert page.value("child_birth_date") in ("31/02/2026", "")
    d = dossier_of(session, filed.public_id)
    assert d.status == DossierStatus.SUPPLEMENT_REQUESTED
    assert d.answers["child_birth_date"] == "2026-11-20"


def test_a_refused_supplement_upload_shows_the_supplement_page(app, resident_client, session,
                                                              filed, clerk):
    act(app, session, filed.public_id, Action.REQUEST_SUPPLEMENT, clerk, reason="Thiếu giấy.")
    page = upload(resident_client, filed.public_id, "giay_chung_sinh", b"<html></html>",
                  "x.pdf", expected_status=400, supplement=True)
    assert "Chỉ nhận tệp PDF, JPEG hoặc PNG." in page.html
    assert "Thiếu giấy." in page.html
    assert len(dossier_of(session, filed.public_id).attachments) == 1


def test_a_supplement_cannot_be_sent_unless_one_was_asked_for(resident_client, session,
                                                              filed):
    base = f"/my/dossiers/{filed.public_id}"
    # Sent back to the dossier page with a message, rather than a bare "not found".
    resident_client.get(f"{base}/supplement", expected_status=303)
    back = resident_client.post(f"{base}/supplement", birth_answers(), expected_redirect=base)
    assert "Cơ quan không yêu cầu bổ sung hồ sơ này." in back.html
    resident_client.post(f"{base}/supplement/documents/giay_chung_sinh",
                         files={"giay_chung_sinh": (pdf_bytes(), "a.pdf")},
                         expected_status=404)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(DossierEvent).where(
        DossierEvent.dossier_id == filed.id)) == 1


def test_a_draft_page_of_a_filed_dossier_is_gone(resident_client, filed):
    base = f"/my/dossiers/{filed.public_id}"
    for step in ("edit", "documents", "review"):
        resident_client.get(f"{base}/{step}", expected_status=404)
    resident_client.post(f"{base}/edit", birth_answers(), expected_status=404)
    resident_client.post(f"{base}/documents/giay_chung_sinh",
                         files={"giay_chung_sinh": (pdf_bytes(), "a.pdf")},
                         expected_status=404)


def test_a_dossier_waiting_for_a_supplement_can_still_be_withdrawn(app, resident_client,
                                                                  session, filed, clerk):
    act(app, session, filed.public_id, Action.REQUEST_SUPPLEMENT, clerk, reason="Thiếu giấy.")
    resident_client.post(f"/my/dossiers/{filed.public_id}/withdraw",
                         form_page=f"/my/dossiers/{filed.public_id}/withdraw",
                         expected_redirect=f"/my/dossiers/{filed.public_id}")
    d = dossier_of(session, filed.public_id)
    assert d.status == DossierStatus.WITHDRAWN
    resident_client.get(f"/my/dossiers/{filed.public_id}/supplement", expected_status=303)
    # Withdrawal stops the clock: the supplement pause ends with it (DESIGN.md §4).
    assert d.completed_at is not None
    assert d.paused_at is None and d.remaining_seconds is None and d.resume_status is None
