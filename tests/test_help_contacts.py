"""Help that helps: every office's address, phone and opening hours from the catalogue, in the
footer of public pages, on /offices, on the procedure page and on the tracking page."""

from __future__ import annotations

import json
from types import SimpleNamespace

from district_portal.services.catalog import contacts
from district_portal.services.catalog.importer import demo_catalog_path
from tests.factories import create_dossier
from tests.helpers import ClientRequest

DEMO = json.loads(demo_catalog_path().read_text("utf-8"))
OFFICES = {o["agency_code"]: o for o in DEMO["offices"]}
RECEIVING = sorted({c for p in DEMO["procedures"] for c in p["offices"]})
HOA_BINH, TAN_HOA, LAC_SON = "000.00.04.T25", "000.00.05.T25", "000.00.06.T25"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _footer(page) -> str:
    return _flat(page.text(page.find(".//footer")))


def _main(page) -> str:
    return _flat(page.text(page.find(".//main")))


def test_the_footer_of_a_public_page_names_every_office_with_phone_and_hours(client):
    footer = _footer(ClientRequest(client).get("/"))
    assert "Cần hỗ trợ?" in footer
    assert "Hãy gọi bộ phận một cửa của xã" not in footer
    for code in RECEIVING:
        office = OFFICES[code]
        assert f"{office['name']}, {office['address']} – {office['phone']} –" in footer
    assert "UBND phường Hòa Bình, Phường Hòa Bình, tỉnh Phú Thọ – 0218 3852 004 – " \
           "07:00–11:30, 13:30–17:00" in footer  # default hours
    assert "0218 3861 006 – 07:30–11:30, 13:30–17:00" in footer  # Lạc Sơn's own hours
    page = ClientRequest(client).get("/")
    links = [a.get("href") for a in page.find(".//footer").iter("a")]
    assert "/offices" in links and "tel:02183852004" in links


def test_the_offices_page_gives_address_phone_and_hours_of_each_office(client):
    text = _main(ClientRequest(client).get("/offices"))
    names = []
    for code in RECEIVING:
        office = OFFICES[code]
        names.append(office["name"])
        assert f"{office['name']} Địa chỉ: {office['address']} Điện thoại: {office['phone']} " \
               f"Giờ làm việc:" in text
    # In Vietnamese alphabetical order of their names (“UBND phường …” before “UBND xã …”).
    positions = [text.index(n) for n in sorted(names)]
    assert positions == sorted(positions)


def test_the_tracking_page_lists_the_offices_before_a_search(client):
    text = _main(ClientRequest(client).get("/track"))
    help_part = text.split("Cần hỗ trợ?", 1)[1]
    for code in RECEIVING:
        assert OFFICES[code]["phone"] in help_part


def test_a_tracked_dossier_shows_how_to_reach_the_office_that_received_it(client, store):
    dossier = create_dossier(store, office_code=TAN_HOA)
    store.commit()
    page = ClientRequest(client).post("/track", {"lookup": dossier.code, "phone": "0912345678"},
                                      expected_status=200)
    help_part = _main(page).split("Cần hỗ trợ?", 1)[1]
    assert "Gọi điện hoặc đến cơ quan đã tiếp nhận hồ sơ này" in help_part
    assert f"Địa chỉ: {OFFICES[TAN_HOA]['address']} Điện thoại: {OFFICES[TAN_HOA]['phone']}" \
        in help_part
    assert OFFICES[HOA_BINH]["phone"] not in help_part


def test_the_procedure_page_shows_the_offices_that_handle_it_and_no_others(client):
    marriage_cert = next(p for p in DEMO["procedures"] if p["code"] == "2.000815")
    text = _main(ClientRequest(client).get("/procedures/2.000815"))
    where = text.split("Nơi tiếp nhận", 1)[1].split("Các bước thực hiện", 1)[0]
    for code in marriage_cert["offices"]:
        assert OFFICES[code]["phone"] in where
    assert OFFICES[TAN_HOA]["phone"] not in where  # Tân Hòa does not certify copies


def test_a_long_list_of_offices_leaves_the_footer_to_a_link():
    office = SimpleNamespace(agency_code="X", name="UBND xã A", address="", phone="",
                             hours=None, active=True)
    few = contacts.HelpList(contacts.contacts_of([office] * contacts.FOOTER_MAX))
    many = contacts.HelpList(contacts.contacts_of([office] * (contacts.FOOTER_MAX + 1)))
    assert len(few.in_footer) == contacts.FOOTER_MAX
    assert many.in_footer == [] and len(many.contacts) == contacts.FOOTER_MAX + 1


def test_an_office_card_has_a_dialable_number_and_readable_hours():
    office = SimpleNamespace(agency_code="X", name="UBND xã A", address=" Thôn 1 ",
                             phone="(0218) 3852.004", hours=["07:30-11:30", "13:00-16:30"],
                             active=True)
    card = contacts.contact_of(office)
    assert card.tel == "02183852004" and card.address == "Thôn 1"
    assert card.hours == "07:30–11:30, 13:00–16:30"
    assert contacts.contact_of(SimpleNamespace(**{**vars(office), "hours": None})).hours == \
        "07:00–11:30, 13:30–17:00"
    assert contacts.contacts_of([SimpleNamespace(**{**vars(office), "active": False})]) == []
