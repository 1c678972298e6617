"""The demo catalogue reads like a real one: no placeholder words, fee conditions kept in the
fee rules, an online upload is a photo or scan, only a person registers a birth, and the birth
form asks how the declarant is related to the child."""

from __future__ import annotations

import json

from district_portal.services.catalog.importer import demo_catalog_path, validate_catalog
from tests.helpers import BIRTH, birth_answers, save, start_draft

RAW = demo_catalog_path().read_text("utf-8")
DEMO = json.loads(RAW)
PROCEDURES = {p["code"]: p for p in DEMO["procedures"]}


def test_the_demo_catalogue_is_valid_and_has_no_placeholder_words():
    assert validate_catalog(DEMO) == []
    assert "minh họa" not in RAW.lower() and "minh hoa" not in RAW.lower()


def test_a_fee_note_does_not_restate_a_condition_the_fee_rules_hold():
    for code, proc in PROCEDURES.items():
        fee = proc["fee"]
        if not isinstance(fee, dict):
            continue
        note = fee.get("note", "").lower()
        if fee.get("exempt_if"):
            assert "miễn" not in note and "đúng hạn" not in note, code
        for line in fee["lines"]:
            for tier in line.get("tiers", []):
                assert f"{tier['amount']:,}".replace(",", ".") not in note, code


def test_every_office_that_receives_dossiers_has_an_address_and_a_phone():
    for office in DEMO["offices"]:
        assert office.get("address") and office.get("phone"), office["agency_code"]


def test_only_a_person_registers_a_birth_and_says_how_they_are_related(resident_client):
    assert PROCEDURES[BIRTH]["applicants"] == ["person"]
    page, public_id = start_draft(resident_client, BIRTH)
    values = [i.get("value") for i in page.findall(".//input[@name='applicant_type']")]
    assert values == ["person"]
    assert "Tổ chức" not in page.text(page.find(".//form"))
    relation = page.find(".//select[@name='relation_to_child']")
    assert relation is not None
    assert [o.text for o in relation.iter("option")][1:] == [
        "Mẹ", "Cha", "Ông, bà", "Người thân thích khác", "Người đang nuôi dưỡng trẻ"]
    # Posting the organisation anyway is refused, with what was typed kept.
    refused = save(resident_client, public_id, birth_answers(
        applicant_type="organisation", applicant_tax_code="0123456789",
        applicant_representative="Lê Văn Đại Diện"), expected_status=400)
    assert "#in-applicant_type" in refused.error_links()
    assert refused.value("child_name") == "Nguyễn Văn Bé"
    missing = save(resident_client, public_id, birth_answers(relation_to_child=""),
                   expected_status=400)
    assert "#in-relation_to_child" in missing.error_links()
    save(resident_client, public_id, birth_answers(relation_to_child="ong_ba"))


def test_the_procedure_page_says_a_birth_is_filed_by_a_person(client):
    body = client.get(f"/procedures/{BIRTH}").get_data(as_text=True)
    assert "Thủ tục này chỉ dành cho cá nhân" in body
    assert "hoặc mã số thuế nếu là tổ chức" not in body


def test_the_upload_step_asks_for_a_photo_or_scan_not_for_originals(resident_client):
    _, public_id = start_draft(resident_client, BIRTH)
    save(resident_client, public_id, birth_answers())
    page = resident_client.get(f"/my/dossiers/{public_id}/documents")
    text = page.text(page.find(".//main"))
    assert "Bản chụp (ảnh chụp hoặc bản quét) của giấy tờ" in text
    assert "Bản chính:" not in text and "bản sao: 0" not in text
