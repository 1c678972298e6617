"""A walk-in without a mobile phone at the counter (issue 8, items 3, 7, 14 and 17) and what
/track shows and limits (issue 11, item 12)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from district_portal.models import Dossier, Notification
from district_portal.services.dossiers.workflow import Action
from tests.factories import staff_applicant_answers, user
from tests.helpers import (
    BIRTH,
    ClientRequest,
    act,
    birth_answers,
    file_dossier,
    login,
    page_scripts,
    pdf_bytes,
    pdf_text,
    save,
    start_draft,
)

DEATH = "1.000656"  # Đăng ký khai tử: free, one mandatory document
ID_TYPED = "025 190 000 777"  # as read out from the card
ID_NUMBER = "025190000777"


def _walk_in(**overrides) -> dict:
    answers = staff_applicant_answers(name="Lò Văn Cụ", phone="")
    answers.pop("applicant_office")
    answers.update({"applicant_id_number": ID_TYPED, "deceased_name": "Lò Thị Mẹ",
                    "deceased_id_number": "025.140.000.321", "death_date": "2026-11-20",
                    "death_place": "Tại nhà", "relationship": "Con"})
    answers.update(overrides)
    return answers


def _start_counter(rc: ClientRequest) -> str:
    page = rc.post("/staff/counter", {"procedure": DEATH}, form_page="/staff/counter",
                   expected_redirect="/staff/counter/")
    return re.search(r"/staff/counter/(\w+)/edit", page.url).group(1)


def _file_walk_in(app, session, **overrides) -> Dossier:
    """Filed at the desk of the demo office by the demo clerk, and accepted."""
    client = app.test_client()
    clerk = user(session, "clerk@demo.test")
    login(client, clerk)
    rc = ClientRequest(client)
    public_id = _start_counter(rc)
    base = f"/staff/counter/{public_id}"
    rc.post(f"{base}/edit", {**_walk_in(**overrides), "_action": "next"},
            form_page=f"{base}/edit", expected_redirect=f"{base}/documents")
    rc.post(f"{base}/documents/giay_bao_tu", form_page=f"{base}/documents",
            files={"giay_bao_tu": (pdf_bytes(), "giay-bao-tu.pdf")},
            expected_redirect=f"{base}/documents")
    nonce = rc.get(f"{base}/review").find(".//input[@name='nonce']").get("value")
    rc.post(f"{base}/submit", {"nonce": nonce}, form_page=f"{base}/review",
            expected_redirect="/staff/dossiers/")
    return act(app, session, public_id, Action.ACCEPT, clerk)


def _track(app, lookup: str, contact: str, status: int, **environ):
    client = app.test_client()
    client.environ_base.update(environ)
    return ClientRequest(client).post("/track", {"lookup": lookup, "phone": contact},
                                      expected_status=status)


# --- counter intake without a phone ----------------------------------------------------------


def test_a_walk_in_without_a_phone_is_filed_and_told_on_paper_not_by_sms(app, session):
    d = _file_walk_in(app, session)
    assert d.channel == "counter" and d.status == "accepted"
    assert d.applicant_phone is None
    # ID numbers typed in groups are stored as 12 digits (issue 8, item 7).
    assert d.applicant["id_number"] == ID_NUMBER
    assert d.answers["deceased_id_number"] == "025140000321"
    sms = session.scalars(select(Notification).where(Notification.dossier_id == d.id,
                                                     Notification.channel == "sms")).all()
    assert sms == []
    # The printed receipt (form 01) says how to follow the dossier without a phone.
    client = app.test_client()
    login(client, user(session, "clerk@demo.test"))
    receipt = client.get(f"/staff/dossiers/{d.code}/slips/receipt.pdf")
    assert receipt.status_code == 200
    text = pdf_text(receipt.data)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text and "Lò Văn Cụ" in text
    assert "bằng mã hồ sơ hoặc mã tra cứu và số định danh cá nhân" in text
    assert ID_NUMBER in text


def test_at_the_counter_the_phone_is_optional_and_a_wrong_one_still_refused(app, session):
    client = app.test_client()
    login(client, user(session, "clerk@demo.test"))
    rc = ClientRequest(client)
    public_id = _start_counter(rc)
    base = f"/staff/counter/{public_id}"
    edit = rc.get(f"{base}/edit")
    label = edit.text(edit.find(".//label[@for='in-applicant_phone']"))
    assert "nếu người nộp có" in label and "*" not in label
    page = rc.post(f"{base}/edit", {**_walk_in(applicant_phone="0912"), "_action": "next"},
                   form_page=f"{base}/edit", expected_status=400)
    assert "Nhập số điện thoại Việt Nam như 0912 345 678." in page.text(page.by_id("errors"))
    assert page.value("applicant_phone") == "0912"
    assert page.value("applicant_id_number") == ID_TYPED  # what was typed is kept


def test_online_filing_still_requires_the_phone(resident_client, session):
    _, public_id = start_draft(resident_client, BIRTH)
    page = save(resident_client, public_id, birth_answers(applicant_phone=""),
                expected_status=400)
    assert "Nhập số điện thoại di động" in page.text(page.by_id("errors"))


def test_a_tax_code_typed_with_dots_is_kept_as_the_tax_office_writes_it(app):
    """An organisation's tax code (the birth form is for persons only, so the applicant
    section of a procedure open to organisations is used)."""
    from district_portal.eform.form import DossierForm
    from district_portal.eform.specs import applicant_specs

    with app.test_request_context():
        form = DossierForm(applicant_specs(None), {
            "applicant_type": "organisation", "applicant_name": "Công ty TNHH Ánh Dương",
            "applicant_tax_code": "0123.456.789 001",
            "applicant_representative": "Nguyễn Văn Đại Diện",
            "applicant_phone": "0912 345 678", "applicant_province": "25",
            "applicant_commune": "7210"})
        assert form.validate(), form.errors
        assert form.raw["applicant_tax_code"] == "0123.456.789 001"  # what was typed stays
        assert form.cleaned()["applicant_tax_code"] == "0123456789-001"


def test_counter_intake_loads_the_same_script_as_online_filing(app, session):
    client = app.test_client()
    login(client, user(session, "clerk@demo.test"))
    rc = ClientRequest(client)
    public_id = _start_counter(rc)
    counter = rc.get(f"/staff/counter/{public_id}/edit")
    _, online_id = start_draft(_resident(app, session), BIRTH)
    online = _resident(app, session).get(f"/my/dossiers/{online_id}/edit")
    scripts = [s.get("src") for s in page_scripts(counter.findall(".//script"))]
    assert scripts and scripts == [s.get("src") for s in page_scripts(online.findall(".//script"))]
    assert re.fullmatch(r"/assets/form\.[0-9a-f]{12}\.js", scripts[0])
    assert client.get(scripts[0]).status_code == 200
    # With the script the communes come at once: the "save to see more" note is for no-JS.
    note = counter.find(".//p[@class='meta js-hide']")
    assert note is not None


def _resident(app, session) -> ClientRequest:
    client = app.test_client()
    login(client, user(session, "resident@demo.test"))
    return ClientRequest(client)


@pytest.mark.parametrize("who", ["counter", "online"])
def test_the_first_submit_button_of_the_answers_form_is_its_main_action(app, session, who):
    """Enter in a text field presses the form's first submit button (HTML's default button):
    it must be "save and continue", not "show its communes" (issue 8, item 14)."""
    if who == "counter":
        client = app.test_client()
        login(client, user(session, "clerk@demo.test"))
        rc = ClientRequest(client)
        page = rc.get(f"/staff/counter/{_start_counter(rc)}/edit")
    else:
        rc = _resident(app, session)
        page = rc.get(f"/my/dossiers/{start_draft(rc, BIRTH)[1]}/edit")
    form = page.by_id("form")
    buttons = [b for b in form.iter("button") if b.get("type", "submit") == "submit"]
    # Nameless, so the POST carries no `_action` and the server does its main action.
    assert buttons[0].get("name") is None and buttons[0].get("aria-hidden") == "true"
    assert any(b.get("value") == "refresh" for b in buttons[1:])


# --- /track -----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [ID_TYPED, ID_NUMBER, "025.190.000.777", "025-190-000-777"])
def test_a_walk_in_tracks_the_dossier_by_code_and_id_number(app, session, typed):
    d = _file_walk_in(app, session)
    page = _track(app, d.code, typed, 200)
    facts = page.text(page.find(".//dl"))
    assert d.code in facts and "Đã tiếp nhận" in facts and d.receiving_office.name in facts
    assert "Lò Văn Cụ" not in page.html and "Đăng ký khai tử" not in page.html
    assert page.value("phone") == typed


def test_another_id_number_or_a_phone_finds_nothing(app, session):
    d = _file_walk_in(app, session)
    for contact in ("025 190 000 778", "0912 345 678"):
        page = _track(app, d.code, contact, 404)
        assert page.find(".//dl") is None
        assert "Không có hồ sơ nào khớp với mã và số điện thoại hoặc số CCCD này." in page.html


def test_a_bad_phone_or_id_number_on_track_says_what_to_type_and_keeps_it(app, session):
    page = _track(app, "000.00.04.T25-261125-0001", "025 190 0007", 400)
    assert ("Nhập số điện thoại Việt Nam như 0912 345 678, hoặc số định danh cá nhân 12 chữ số "
            "như 025 090 001 234.") in page.text(page.find(".//*[@class='errors']"))
    assert page.value("phone") == "025 190 0007"
    assert page.value("lookup") == "000.00.04.T25-261125-0001"


def test_track_shows_status_dates_and_office_but_no_notes_or_staff_names(app, session):
    d = _file_walk_in(app, session)
    clerk = user(session, "clerk@demo.test")
    d = act(app, session, d.public_id, Action.REQUEST_SUPPLEMENT, clerk,
            reason="Thiếu bản sao giấy báo tử có chứng thực của bệnh viện")
    page = _track(app, d.code, ID_NUMBER, 200)
    assert "Yêu cầu bổ sung" in page.text(page.find(".//dl"))
    assert "Ngày tiếp nhận" in page.text(page.find(".//dl"))
    assert "Thiếu bản sao giấy báo tử" not in page.html
    assert clerk.full_name not in page.html
    history = page.text(page.find(".//ol[@class='history']"))
    assert "Yêu cầu bổ sung" in history or "bổ sung" in history.lower()


# --- limits per phone or ID number, whatever the address ------------------------------------


@pytest.fixture
def limited_app(fresh_app):
    from district_portal.extensions import limiter

    app = fresh_app(RATE_LIMITS_ON=True)
    yield app
    limiter.reset()


def test_stepping_through_codes_with_one_phone_is_stopped_even_from_many_addresses(limited_app):
    statuses = []
    for n in range(1, 12):
        # Another address each time (the per-address limit does not apply), the same phone
        # written differently (one key), codes counted up as someone guessing would.
        phone = ("0912 345 678", "+84912345678", "0912.345.678")[n % 3]
        page = _track(limited_app, f"000.00.04.T25-261125-{n:04d}", phone, None,
                      REMOTE_ADDR=f"203.0.113.{n}")
        statuses.append(page.status)
    assert statuses[:10] == [404] * 10
    assert statuses[10] == 429
    # Another person's phone from the same kind of address is not affected.
    other = _track(limited_app, "000.00.04.T25-261125-0001", "0987 654 321", None,
                   REMOTE_ADDR="203.0.113.99")
    assert other.status == 404


def test_the_same_limit_holds_for_an_id_number_typed_in_any_format(limited_app):
    typed = ("025 190 000 777", "025190000777", "025.190.000.777")
    statuses = [_track(limited_app, f"000.00.04.T25-261125-{n:04d}", typed[n % 3], None,
                       REMOTE_ADDR=f"198.51.100.{n}").status for n in range(1, 12)]
    assert statuses[:10] == [404] * 10 and statuses[10] == 429


def test_found_dossiers_and_refused_input_do_not_count_against_the_phone(limited_app):
    from district_portal.db import get_db
    from tests.factories import create_filed_dossier

    with limited_app.test_request_context(), get_db(limited_app).transaction() as s:
        d = create_filed_dossier(s)
        code, phone = d.code, d.applicant_phone
    for n in range(12):
        assert _track(limited_app, code, phone, None,
                      REMOTE_ADDR=f"192.0.2.{n}").status == 200
        assert _track(limited_app, "not a code", phone, None,
                      REMOTE_ADDR=f"192.0.2.{n}").status == 400


def test_enter_in_the_supplement_and_delivery_forms_does_their_main_action(app, session,
                                                                          resident_client):
    public_id = file_dossier(resident_client)
    review = resident_client.get(f"/my/dossiers/{public_id}")
    act(app, session, public_id, Action.ACCEPT, user(session, "clerk@demo.test"))
    act(app, session, public_id, Action.REQUEST_SUPPLEMENT, user(session, "clerk@demo.test"),
        reason="Bổ sung địa chỉ")
    supplement = resident_client.get(f"/my/dossiers/{public_id}/supplement")
    for page, suffix, main in ((supplement, "/supplement", "send"),
                               (review, "/delivery", "save")):
        form = next(f for f in page.findall(".//main//form")
                    if f.get("action", "").endswith(suffix))
        buttons = [b for b in form.iter("button") if b.get("type", "submit") == "submit"]
        assert buttons[0].get("name") is None, suffix  # no _action: the main action
        assert any(b.get("value") == main for b in buttons[1:])


def test_the_counter_pages_speak_of_the_applicant_not_you(app, session):
    """A clerk fills the counter form in for a walk-in: it says "người nộp", never "bạn"
    (issue 8, item 18); online, the same form still speaks to the resident."""
    client = app.test_client()
    login(client, user(session, "clerk@demo.test"))
    rc = ClientRequest(client)
    public_id = _start_counter(rc)
    base = f"/staff/counter/{public_id}"
    for path in (f"{base}/edit", f"{base}/documents"):
        text = rc.get(path).text(rc.get(path).find(".//main"))
        assert not re.search(r"\bbạn\b", text, re.IGNORECASE), (path, text[:2000])
    edit = rc.get(f"{base}/edit").html
    assert "Người nộp hồ sơ với tư cách" in edit or "người nộp" in edit.lower()
