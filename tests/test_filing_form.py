"""The e-form: every save keeps what was typed; every field type refuses hostile values with a
Vietnamese message saying what to do; visible_if is enforced by the server."""

from __future__ import annotations

import unicodedata

import pytest

from tests.helpers import (
    COMMUNE,
    OTHER_COMMUNE,
    OTHER_PROVINCE,
    TEST_PROC,
    all_types_answers,
    birth_answers,
    dossier_of,
    page_scripts,
    save,
    start_draft,
)

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def draft(resident_client, all_types_procedure):
    _, public_id = start_draft(resident_client, TEST_PROC)
    return public_id


def test_an_invalid_save_keeps_every_typed_value_and_links_each_error(resident_client,
                                                                      session, draft):
    typed = all_types_answers(t_text="Nguyễn Văn Quá Dài Tên Lắm", t_number="abc",
                              t_date="31/02/2026", t_email="khong-a-cong", t_phone="123",
                              t_id="02519000012a", applicant_name="")
    page = save(resident_client, draft, typed, expected_status=400)
    links = page.error_links()
    for key in ("applicant_name", "t_text", "t_number", "t_date", "t_email", "t_phone", "t_id"):
        assert f"#in-{key}" in links
        assert page.by_id(f"in-{key}") is not None  # the link lands on the input
    assert "Vui lòng sửa 7 thông tin" in page.html
    for key in ("t_text", "t_number", "t_email", "t_phone", "t_id", "t_area", "t_commune"):
        assert page.value(key) == typed[key], key
    assert page.value("t_radio") == "buu_dien" and page.value("t_select") == "a"
    d = dossier_of(session, draft)
    assert d.answers["t_text"] == typed["t_text"] and d.answers["t_date"] == "31/02/2026"
    assert d.answers["t_number"] == "abc" and d.applicant["applicant_name"] == ""


def test_save_and_finish_later_keeps_invalid_answers_without_complaining(resident_client,
                                                                         session, draft):
    save(resident_client, draft, {"t_text": "Tên", "t_phone": "123"}, action="later",
         expected_redirect="/my/dossiers")
    d = dossier_of(session, draft)
    assert d.answers["t_phone"] == "123" and d.answers["t_text"] == "Tên"
    page = resident_client.get(f"/my/dossiers/{draft}/edit")
    assert page.value("t_phone") == "123"


HOSTILE = [
    # (field, typed value, the Vietnamese message that says what to do)
    ("t_text", "", "Nhập họ và tên người liên quan"),
    ("t_text", "x" * 21, "Họ và tên người liên quan tối đa 20 ký tự (hiện có 21)."),
    ("t_text", "dòng 1\ndòng 2", "Họ và tên người liên quan phải viết trên một dòng."),
    ("t_area", "", "Nhập nội dung đề nghị"),
    ("t_area", "y" * 51, "Nội dung đề nghị tối đa 50 ký tự (hiện có 51)."),
    ("t_number", "", "Nhập số bản"),
    ("t_number", "abc", "Số bản phải là một số, ví dụ 12."),
    ("t_number", "1e999", "Số bản phải là một số, ví dụ 12."),
    ("t_number", "nan", "Số bản phải là một số, ví dụ 12."),
    ("t_number", "-inf", "Số bản phải là một số, ví dụ 12."),
    ("t_number", "0", "Số bản phải từ 1 trở lên."),
    ("t_number", "11", "Số bản không được lớn hơn 10."),
    ("t_number", SCRIPT, "Số bản phải là một số, ví dụ 12."),
    ("t_date", "", "Nhập ngày cấp"),
    ("t_date", "31/02/2026", "Ngày cấp phải là ngày có thật, viết như 25/11/2026."),
    ("t_date", "2026-02-31", "Ngày cấp phải là ngày có thật, viết như 25/11/2026."),
    ("t_date", "hôm qua", "Ngày cấp phải là ngày có thật, viết như 25/11/2026."),
    ("t_date", SCRIPT, "Ngày cấp phải là ngày có thật, viết như 25/11/2026."),
    ("t_select", "", "Chọn loại giấy"),
    ("t_select", "c", "Chọn loại giấy"),
    ("t_select", SCRIPT, "Chọn loại giấy"),
    ("t_radio", "", "Chọn hình thức nhận"),
    ("t_radio", "nha_rieng", "Chọn hình thức nhận"),
    ("t_email", "", "Nhập thư điện tử liên hệ"),
    ("t_email", "khong-co-a-cong.vn", "Nhập địa chỉ thư điện tử như ten@example.com."),
    ("t_email", SCRIPT, "Nhập địa chỉ thư điện tử như ten@example.com."),
    ("t_phone", "", "Nhập điện thoại liên hệ"),
    ("t_phone", "123", "Nhập số điện thoại Việt Nam như 0912 345 678."),
    ("t_phone", SCRIPT, "Nhập số điện thoại Việt Nam như 0912 345 678."),
    ("t_id", "", "Nhập số định danh người liên quan"),
    ("t_id", "02519000099a", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("t_id", "02519000099", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("t_id", "0251900009999", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("t_id", "０２５１９００００９９９", "Số định danh cá nhân gồm đúng 12 chữ số."),
    ("t_commune", "", "Chọn xã nơi cư trú"),
    ("t_commune", OTHER_COMMUNE, "Chọn xã/phường thuộc tỉnh/thành phố đã chọn."),
    ("t_commune", "abc", "Chọn xã nơi cư trú"),
    ("t_commune", "99999999", "Chọn xã nơi cư trú"),
    ("t_commune", SCRIPT, "Chọn xã nơi cư trú"),
    ("applicant_type", "robot", "Chọn nộp hồ sơ với tư cách cá nhân hay tổ chức."),
    ("applicant_phone", "", "Nhập số điện thoại di động"),
]


@pytest.mark.parametrize(("key", "value", "message"), HOSTILE,
                         ids=[f"{k}-{v[:12]!r}" for k, v, _ in HOSTILE])
def test_every_field_type_refuses_a_hostile_value_with_a_vietnamese_message(
        resident_client, session, draft, key, value, message):
    page = save(resident_client, draft, all_types_answers(**{key: value}), expected_status=400)
    errors = page.by_id("errors")
    assert errors is not None
    links = {a.get("href"): page.text(a) for a in errors.iter("a")}
    assert links == {f"#in-{key}": message} or links.get(f"#in-{key}", "").lower() == \
        message.lower(), links
    assert SCRIPT not in page.html
    d = dossier_of(session, draft)
    stored = d.applicant if key.startswith("applicant_") else d.answers
    assert stored[key] == unicodedata.normalize("NFC", value.strip())


def test_a_commune_province_that_is_nonsense_is_refused(resident_client, draft):
    page = save(resident_client, draft,
                all_types_answers(**{"t_commune.province": "xx", "t_commune": COMMUNE}),
                expected_status=400)
    assert "#in-t_commune" in page.error_links()
    page = save(resident_client, draft,
                all_types_answers(**{"t_commune.province": OTHER_PROVINCE,
                                     "t_commune": COMMUNE}), expected_status=400)
    assert "Chọn xã/phường thuộc tỉnh/thành phố đã chọn." in page.text(page.by_id("errors"))


def test_a_receiving_office_not_among_the_options_is_refused(resident_client, session):
    _, public_id = start_draft(resident_client)
    page = save(resident_client, public_id, birth_answers(applicant_office="000.00.99.T25"),
                expected_status=400)
    assert "#in-applicant_office" in page.error_links()
    assert dossier_of(session, public_id).receiving_office_id is None


def test_a_script_is_escaped_on_the_edit_and_review_pages(resident_client, session, draft):
    save(resident_client, draft, all_types_answers(t_area=SCRIPT, applicant_name=SCRIPT,
                                                   applicant_street=SCRIPT))
    for url in (f"/my/dossiers/{draft}/edit", f"/my/dossiers/{draft}/review"):
        page = resident_client.get(url)
        assert SCRIPT not in page.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.html
        assert not [s for s in page_scripts(page.findall(".//script")) if not s.get("src")]


def test_direction_overrides_are_removed_and_text_is_stored_nfc(resident_client, session,
                                                                 draft):
    decomposed = "Nguye\u0302\u0303n Va\u0306n A"  # Nguyễn Văn A, decomposed
    save(resident_client, draft, all_types_answers(
        t_text="\u202e" + decomposed + "\u202c", t_area="a\u200bb\u2066c\u2069",
        t_id="0251\u200b90000999", applicant_name="Hoa\u0300ng\u202e Thi\u0323 Da\u0302n",
        t_proxy="ignored"))
    d = dossier_of(session, draft)
    assert d.answers["t_text"] == "Nguyễn Văn A"
    assert d.answers["t_area"] == "abc"
    assert d.answers["t_id"] == "025190000999"
    assert d.applicant["applicant_name"] == "Hoàng Thị Dân"
    for value in (*d.answers.values(), *d.applicant.values()):
        assert unicodedata.is_normalized("NFC", value)


def test_a_format_character_between_a_letter_and_its_accent_still_gives_nfc(resident_client,
                                                                          session, draft):
    save(resident_client, draft, all_types_answers(t_text="Nguye\u202e\u0302\u0303n"))
    value = dossier_of(session, draft).answers["t_text"]
    assert value == "Nguyễn" and unicodedata.is_normalized("NFC", value)


def test_hidden_dependants_are_ignored_until_the_checkbox_is_ticked(resident_client, session,
                                                                    draft):
    # Unticked: the dependant is neither validated nor stored, and stays hidden.
    save(resident_client, draft, all_types_answers(t_proxy="x" * 500))
    d = dossier_of(session, draft)
    assert "t_proxy" not in d.answers and d.answers["t_check"] == ""
    page = resident_client.get(f"/my/dossiers/{draft}/edit")
    assert page.by_id("f-t_proxy").get("hidden") is not None
    # Ticked and saved: now visible and required.
    page = save(resident_client, draft, all_types_answers(t_check="y"), expected_status=400)
    assert page.by_id("f-t_proxy").get("hidden") is None
    assert page.error_links() == ["#in-t_proxy"]
    assert "Nhập họ tên người được ủy quyền" in page.text(page.by_id("errors"))
    save(resident_client, draft, all_types_answers(t_check="y", t_proxy="Lê Văn Ủy"))
    d = dossier_of(session, draft)
    assert d.answers["t_check"] == "y" and d.answers["t_proxy"] == "Lê Văn Ủy"
    review = resident_client.get(f"/my/dossiers/{draft}/review")
    assert "Lê Văn Ủy" in review.html and "Có người ủy quyền" in review.html


def test_the_organisation_fields_are_ignored_for_a_person(resident_client, session, draft):
    save(resident_client, draft, all_types_answers(applicant_tax_code="abc",
                                                   applicant_representative="Ai đó"))
    d = dossier_of(session, draft)
    assert "applicant_tax_code" not in d.applicant
    page = save(resident_client, draft, all_types_answers(applicant_type="organisation",
                                                          applicant_tax_code="abc"),
                expected_status=400)
    assert set(page.error_links()) == {"#in-applicant_tax_code", "#in-applicant_representative"}
    assert "applicant_id_number" not in dossier_of(session, draft).applicant


def test_a_tax_code_in_full_width_digits_is_refused(resident_client, session, draft):
    page = save(resident_client, draft, all_types_answers(
        applicant_type="organisation", applicant_tax_code="０１２３４５６７８９",
        applicant_representative="Lê Văn Đại Diện"), expected_status=400)
    assert page.error_links() == ["#in-applicant_tax_code"]
    assert "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số nếu có mã chi nhánh" in page.text(
        page.by_id("errors"))


def test_an_impossible_date_stays_visible_as_typed_next_to_its_message():
    from district_portal.templating import date_input, date_input_type

    assert date_input_type("31/02/2026") == "text" and date_input("31/02/2026") == "31/02/2026"
    assert date_input_type("25/11/2026") == "date" and date_input("25/11/2026") == "2026-11-25"
    assert date_input_type("") == "date"
