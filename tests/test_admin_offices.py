"""The admin console's offices (issue 13, item 3): a province admin's tree, new offices and
edits with every refusal (400, Vietnamese, what was typed kept), a commune admin's own
office's details only, other provinces' offices a 404, the communes of vietnam-provinces
(idempotent, provisional), a provisional office's real code, deactivation with a successor
that takes the new dossiers, the audit log and the public pages moving on at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from district_portal.db import get_db
from district_portal.models import AuditEntry, Office, OfficeKind
from district_portal.models.site import current_version
from district_portal.services.dossiers import filing, inbox
from tests.factories import (
    ANSWERS,
    BIRTH,
    MARRIAGE,
    OFFICE,
    OTHER_OFFICE,
    create_filed_dossier,
    fill,
    office,
    procedure,
    staff,
    staff_applicant_answers,
    user,
)
from tests.helpers import client_as, csrf_token, login, start_draft

PROVINCE = "000.00.00.T25"
LAC_SON = "000.00.06.T25"


def _client(app, session, email="admin.tinh@demo.test"):
    return client_as(app, session, email)


@pytest.fixture
def tinh(app, session):
    return _client(app, session)


@pytest.fixture
def xa(app, session):
    return _client(app, session, "admin@demo.test")


def _post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/admin/offices/"), **data})


def _new(**kw):
    data = {"agency_code": "000.00.09.T25", "name": "UBND xã Thử Nghiệm", "kind": "commune",
            "parent": PROVINCE, "admin_unit_code": "", "address": "Xã Thử Nghiệm",
            "phone": "0210 3000 009", "hours": "07:30-11:30, 13:30-17:00", "postage": "20000"}
    data.update(kw)
    return data


def _audits(session, action):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                .order_by(AuditEntry.id)))


def _other_province(session):
    """Hà Nội's committee and one of its wards: another province's offices."""
    top = Office(agency_code="000.00.00.H01", name="UBND thành phố Hà Nội",
                 kind=OfficeKind.PROVINCE, admin_unit_code=1)
    ward = Office(agency_code="000.00.01.H01", name="UBND phường Ba Đình",
                  kind=OfficeKind.COMMUNE, parent=top)
    session.add_all([top, ward])
    session.commit()
    return top, ward


# --- the list and who sees what ---------------------------------------------------------------


def test_a_province_admin_sees_the_province_tree_and_a_commune_admin_their_office(
        tinh, xa, session):
    page = tinh.get("/admin/offices/").get_data(as_text=True)
    assert tinh.get("/admin/offices/").headers["Cache-Control"] == "no-store"
    for code in (PROVINCE, "000.01.00.T25", OFFICE, OTHER_OFFICE, LAC_SON):
        assert f'id="office-{code}"' in page
    assert page.index(f"office-{PROVINCE}") < page.index(f"office-{OFFICE}")  # parent first
    assert "Nhập các xã của tỉnh" in page and "Thêm cơ quan" in page
    mine = xa.get("/admin/offices/").get_data(as_text=True)
    assert f'id="office-{OFFICE}"' in mine and f"office-{OTHER_OFFICE}" not in mine
    assert "Thêm cơ quan" not in mine and "Nhập các xã" not in mine


def test_the_admin_index_lists_the_section_for_both_admins(tinh, xa):
    for client in (tinh, xa):
        assert 'href="/admin/offices/">Cơ quan</a>' in client.get("/admin/").get_data(as_text=True)


def test_an_edit_page_says_how_the_offices_results_are_signed(tinh):
    page = tinh.get(f"/admin/offices/{OFFICE}").get_data(as_text=True)
    assert "Kết quả của cơ quan này" in page and "chứng thư số" in page


def test_another_provinces_office_is_a_404(tinh, session):
    top, ward = _other_province(session)
    for code in (top.agency_code, ward.agency_code):
        assert tinh.get(f"/admin/offices/{code}").status_code == 404
        assert _post(tinh, f"/admin/offices/{code}", **_new(agency_code=code)).status_code == 404
        assert tinh.get(f"/admin/offices/{code}/deactivate").status_code == 404
    assert f"office-{ward.agency_code}" not in tinh.get("/admin/offices/").get_data(as_text=True)
    assert tinh.get("/admin/offices/NO.SUCH.CODE").status_code == 404


def test_a_commune_admin_edits_only_their_offices_details(xa, session):
    assert xa.get(f"/admin/offices/{OTHER_OFFICE}").status_code == 404
    for url in ("/admin/offices/new", f"/admin/offices/{OFFICE}/deactivate"):
        assert xa.get(url).status_code == 404
    assert _post(xa, "/admin/offices/import").status_code == 404
    assert _post(xa, f"/admin/offices/{OFFICE}/deactivate",
                 successor=OTHER_OFFICE).status_code == 404
    page = xa.get(f"/admin/offices/{OFFICE}").get_data(as_text=True)
    assert 'name="agency_code"' not in page and 'name="parent"' not in page
    response = _post(xa, f"/admin/offices/{OFFICE}", agency_code="999.99.99.T25",
                     name="Đổi tên", kind="department", parent=LAC_SON, address="Số 2",
                     phone="0218 1111 222", hours="07:30-11:30", postage="")
    assert response.status_code == 303
    session.expire_all()
    o = office(session, OFFICE)
    assert (o.agency_code, o.name, o.kind, o.parent.agency_code, o.active) == \
           (OFFICE, "UBND phường Hòa Bình", OfficeKind.COMMUNE, PROVINCE, True)
    assert (o.address, o.phone, o.hours, o.postage) == ("Số 2", "0218 1111 222",
                                                        ["07:30-11:30"], None)
    entry = _audits(session, "office.edit")[-1]
    assert entry.office_id == o.id and entry.actor.email == "admin@demo.test"
    assert entry.before == {"address": "Phường Hòa Bình, tỉnh Phú Thọ",
                            "phone": "0218 3852 004", "hours": None, "postage": 25000}
    assert entry.after == {"address": "Số 2", "phone": "0218 1111 222",
                           "hours": ["07:30-11:30"], "postage": None}


# --- creating and editing -----------------------------------------------------------------------


def test_a_province_admin_creates_an_office_audited(tinh, session):
    assert tinh.get("/admin/offices/new").status_code == 200
    response = _post(tinh, "/admin/offices/new", **_new(hours="13:30-17:00\n07:30-11:30"))
    assert response.status_code == 303
    o = office(session, "000.00.09.T25")
    assert (o.name, o.kind, o.parent.agency_code, o.postage, o.active) == \
           ("UBND xã Thử Nghiệm", OfficeKind.COMMUNE, PROVINCE, 20000, True)
    assert o.hours == ["07:30-11:30", "13:30-17:00"]
    entry = _audits(session, "office.create")[-1]
    assert entry.target_ref == "000.00.09.T25" and entry.office_id == o.id
    assert entry.before is None and entry.after["parent"] == PROVINCE
    assert "000.00.09.T25" in tinh.get("/admin/offices/").get_data(as_text=True)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"agency_code": OTHER_OFFICE}, "agency_code", "đã có mã định danh này"),
    ({"agency_code": "AB"}, "agency_code", "Mã định danh có từ 3 đến 32 ký tự"),
    ({"agency_code": "000 00 09"}, "agency_code", "Mã định danh có từ 3 đến 32 ký tự"),
    ({"agency_code": "TMP.99999"}, "agency_code", "dành cho các cơ quan được nhập"),
    ({"agency_code": ""}, "agency_code", "Hãy nhập mã định danh"),
    ({"name": ""}, "name", "Hãy nhập tên cơ quan"),
    ({"parent": ""}, "parent", "Hãy chọn cơ quan cấp trên"),
    ({"parent": "000.00.01.H01"}, "parent", "phải là một cơ quan của tỉnh bạn"),
    ({"kind": "province"}, "kind", "Hãy chọn loại"),
    ({"admin_unit_code": "4795"}, "admin_unit_code", "đã có mã đơn vị hành chính này"),
    ({"admin_unit_code": "-3"}, "admin_unit_code", "là số nguyên dương"),
    ({"hours": "7h-11h"}, "hours", "không phải một khung giờ"),
    ({"hours": "11:30-07:30"}, "hours", "kết thúc trước khi bắt đầu"),
    ({"hours": "25:00-26:00"}, "hours", "không tồn tại"),
    ({"hours": "07:00-11:30, 11:00-17:00"}, "hours", "chồng lên nhau"),
    ({"postage": "-1"}, "postage", "từ 0 đến 10.000.000"),
    ({"postage": "mười nghìn"}, "postage", ""),
])
def test_a_new_office_with_a_bad_value_is_refused_keeping_what_was_typed(
        tinh, session, changes, field, message):
    _other_province(session)
    data = _new(**changes)
    response = _post(tinh, "/admin/offices/new", **data)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert message in text
    assert 'class="fld field-error"' in text
    for key in ("name", "address", "phone"):
        if data[key]:
            assert f'value="{data[key]}"' in text
    if field in ("hours", "postage", "admin_unit_code"):
        assert f'value="{data[field]}"' in text
    assert session.scalar(select(func.count()).select_from(Office).where(
        Office.name == "UBND xã Thử Nghiệm")) == 0


def test_a_cycle_in_the_parents_is_refused(tinh, session):
    assert _post(tinh, "/admin/offices/new", **_new(parent=OFFICE)).status_code == 303
    response = _post(tinh, f"/admin/offices/{OFFICE}",
                     **_new(agency_code=OFFICE, name="UBND phường Hòa Bình",
                            parent="000.00.09.T25"))
    assert response.status_code == 400
    assert "không thể là cấp trên của chính nó" in response.get_data(as_text=True)
    session.expire_all()
    assert office(session, OFFICE).parent.agency_code == PROVINCE
    response = _post(tinh, f"/admin/offices/{OFFICE}",
                     **_new(agency_code=OFFICE, name="UBND phường Hòa Bình", parent=OFFICE))
    assert response.status_code == 400


def test_the_province_office_stays_on_top(tinh, session):
    response = _post(tinh, f"/admin/offices/{PROVINCE}",
                     **_new(agency_code=PROVINCE, name="UBND tỉnh Phú Thọ", kind="province",
                            parent=OFFICE))
    assert response.status_code == 400
    response = _post(tinh, f"/admin/offices/{PROVINCE}",
                     **_new(agency_code=PROVINCE, name="UBND tỉnh Phú Thọ", kind="province",
                            parent="", admin_unit_code="25"))
    assert response.status_code == 303


def test_a_province_admin_changes_an_agency_code_and_the_address_follows(tinh, session):
    response = _post(tinh, f"/admin/offices/{LAC_SON}",
                     **_new(agency_code="000.00.16.t25", name="UBND xã Lạc Sơn"))
    assert response.status_code == 303
    session.expire_all()
    assert office(session, "000.00.16.T25").name == "UBND xã Lạc Sơn"
    assert tinh.get(f"/admin/offices/{LAC_SON}").status_code == 404
    entry = _audits(session, "office.edit")[-1]
    assert entry.before["agency_code"] == LAC_SON and entry.after["agency_code"] == "000.00.16.T25"


# --- communes from vietnam-provinces and provisional codes --------------------------------------


def test_importing_the_provinces_communes_is_idempotent_and_audited(tinh, session):
    before = session.scalar(select(func.count()).select_from(Office))
    response = _post(tinh, "/admin/offices/import")
    assert response.status_code == 303
    created = session.scalar(select(func.count()).select_from(Office)) - before
    assert created > 100  # Phú Thọ's communes and wards, three of which exist already
    page = tinh.get("/admin/offices/").get_data(as_text=True)
    assert f"{created} cơ quan mới, 4 đã có" in page and "Mã tạm" in page
    new = session.scalars(select(Office).where(Office.agency_code.like("TMP.%"))).all()
    assert len(new) == created and all(o.parent.agency_code == PROVINCE for o in new)
    assert all(o.is_provisional and o.kind == OfficeKind.COMMUNE for o in new)
    assert _post(tinh, "/admin/offices/import").status_code == 303
    assert session.scalar(select(func.count()).select_from(Office)) == before + created
    assert "0 cơ quan mới" in tinh.get("/admin/offices/").get_data(as_text=True)
    first, second = _audits(session, "office.import")[-2:]
    assert first.after["created"] == created and second.after["created"] == 0
    assert len(first.after["offices"]) == created and second.after["offices"] == []


def test_the_real_code_of_a_provisional_office(tinh, session):
    _post(tinh, "/admin/offices/import")
    tmp = session.scalars(select(Office).where(Office.agency_code.like("TMP.%"))
                          .order_by(Office.agency_code)).first()
    url = f"/admin/offices/{tmp.agency_code}/code"
    assert tinh.get(url).status_code == 200
    for code, message in ((OFFICE, "đã có mã định danh này"), ("x", "Mã định danh có từ"),
                          ("TMP.1", "dành cho các cơ quan được nhập")):
        response = _post(tinh, url, agency_code=code)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
        assert f'value="{code.upper()}"' in response.get_data(as_text=True)
    old = tmp.agency_code
    assert _post(tinh, url, agency_code="000.00.77.T25").status_code == 303
    session.expire_all()
    assert not office(session, "000.00.77.T25").is_provisional
    entry = _audits(session, "office.code")[-1]
    assert entry.before == {"agency_code": old} and entry.after == {"agency_code": "000.00.77.T25"}
    assert tinh.get("/admin/offices/000.00.77.T25/code").status_code == 404  # not provisional


# --- deactivation with a successor ----------------------------------------------------------------


def _deactivate(client, code, successor, note=""):
    return _post(client, f"/admin/offices/{code}/deactivate", successor=successor, note=note)


def test_refused_successors(tinh, session):
    top, ward = _other_province(session)
    _post(tinh, "/admin/offices/new", **_new())
    assert _deactivate(tinh, "000.00.09.T25", OFFICE).status_code == 303
    provisional = Office(agency_code="TMP.7894", name="UBND phường Nông Trang",
                         kind=OfficeKind.COMMUNE, parent=office(session, PROVINCE))
    session.add(provisional)
    session.commit()
    assert "TMP.7894" not in tinh.get(f"/admin/offices/{LAC_SON}/deactivate").get_data(
        as_text=True)
    active = "Hãy chọn một cơ quan đang hoạt động và đang nhận hồ sơ"
    for successor, message in (("", active), (ward.agency_code, active),  # another province
                               ("000.00.09.T25", active),  # deactivated
                               ("TMP.7894", active),  # takes no dossiers yet
                               (LAC_SON, "không thể là cơ quan tiếp nhận thay chính nó")):
        response = _deactivate(tinh, LAC_SON, successor, note="Sáp nhập")
        assert response.status_code == 400, successor
        assert message in response.get_data(as_text=True)
        assert "Sáp nhập" in response.get_data(as_text=True)  # what was typed is kept
    session.expire_all()
    assert office(session, LAC_SON).active and not _audits(session, "office.deactivate")[1:]
    # Neither the admin's own office nor the province's own.
    assert tinh.get(f"/admin/offices/{PROVINCE}/deactivate").status_code == 200
    response = _deactivate(tinh, PROVINCE, OFFICE)
    assert response.status_code == 400 and "không thể ngừng hoạt động" in response.get_data(
        as_text=True)


def test_a_deactivated_office_sends_new_dossiers_to_its_successor(
        app, tinh, session, resident_client):
    """Phường Tân Hòa merges into a new ward: the marriage registration, which lists Tân Hòa,
    now offers the new ward instead; a dossier filed there goes to it; Tân Hòa's dossiers
    and staff stay where they were."""
    with app.test_request_context():
        old = create_filed_dossier(session, code=MARRIAGE, office=OTHER_OFFICE)
        session.commit()
    clerk = staff(session, "clerk", office=OTHER_OFFICE)
    session.commit()
    _post(tinh, "/admin/offices/new", **_new(name="UBND phường Tân Hòa mới"))
    response = _deactivate(tinh, OTHER_OFFICE, "000.00.09.T25", note="Nghị quyết 1/2025")
    assert response.status_code == 303
    session.expire_all()
    gone, successor = office(session, OTHER_OFFICE), office(session, "000.00.09.T25")
    assert not gone.active and gone.successor is successor
    proc = procedure(session, MARRIAGE)
    assert gone in proc.offices  # the catalogue entry is unchanged...
    assert successor in proc.receiving_offices and gone not in proc.receiving_offices
    # ...the procedure page and /offices show the successor, not the closed office
    page = app.test_client().get(f"/procedures/{MARRIAGE}").get_data(as_text=True)
    assert "UBND phường Tân Hòa mới" in page and "UBND phường Tân Hòa<" not in page
    offices_page = app.test_client().get("/offices").get_data(as_text=True)
    assert "UBND phường Tân Hòa mới" in offices_page
    assert "UBND phường Tân Hòa, Phường Tân Hòa" not in offices_page
    # the resident's form offers the successor instead of the closed office
    form_page, _public_id = start_draft(resident_client, MARRIAGE)
    options = [o.get("value") for o in form_page.doc.iterfind(
        ".//select[@name='applicant_office']/option")]
    assert "000.00.09.T25" in options and OTHER_OFFICE not in options and OFFICE in options
    with app.test_request_context():
        new = create_filed_dossier(session, code=MARRIAGE, office="000.00.09.T25",
                                   applicant=user(session, "resident@demo.test"))
        assert new.receiving_office is successor and new.handling_office is successor
        assert new.code.startswith("000.00.09.T25") or "000.00.09.T25" in new.code
        # the successor's clerks take it at the desk, and it is in their filter
        desk = staff(session, "clerk", office="000.00.09.T25")
        assert proc in inbox.counter_procedures(session, successor)
        assert filing.start_counter_draft(session, desk, proc).receiving_office is successor
    session.expire_all()
    assert old.receiving_office.agency_code == OTHER_OFFICE  # history kept
    assert clerk.office.agency_code == OTHER_OFFICE
    entry = _audits(session, "office.deactivate")[-1]
    assert entry.before == {"active": True, "successor": None}
    assert entry.after == {"active": False, "successor": "000.00.09.T25"}
    assert entry.note == "Nghị quyết 1/2025" and entry.office_id == gone.id


def test_a_procedure_with_only_closed_offices_files_at_the_successor(app, tinh, session):
    """The marriage registration at a commune whose only listed offices close: the draft
    goes straight to the successor (one receiving office, nothing to choose)."""
    _post(tinh, "/admin/offices/new", **_new())
    proc = procedure(session, "2.000815")
    listed = [o.agency_code for o in proc.offices]
    for code in listed:
        assert _deactivate(tinh, code, "000.00.09.T25").status_code == 303
    session.expire_all()
    with app.test_request_context():
        draft = filing.start_draft(session, user(session, "resident@demo.test"),
                                   procedure(session, "2.000815"))
        assert draft.receiving_office.agency_code == "000.00.09.T25"


def test_a_draft_started_before_the_merger_is_filed_at_the_successor(app, tinh, session):
    """The marriage registration left with one office (Hòa Bình): a resident's draft goes
    there; Hòa Bình then merges into a new ward before the resident submits."""
    _post(tinh, "/admin/offices/new", **_new())
    for code in (OTHER_OFFICE, LAC_SON):
        assert _deactivate(tinh, code, OFFICE).status_code == 303
    resident = user(session, "resident@demo.test")
    with app.test_request_context():
        draft = filing.start_draft(session, resident, procedure(session, MARRIAGE))
        assert draft.receiving_office.agency_code == OFFICE
        session.commit()
    assert _deactivate(tinh, OFFICE, "000.00.09.T25").status_code == 303
    session.expire_all()
    with app.test_request_context():
        draft = session.merge(draft)
        form = fill(session, draft, {**staff_applicant_answers(office=""),
                                     **ANSWERS[MARRIAGE]})
        assert form.validate(), form.errors
        filing.submit(session, draft, resident, "merger-nonce")
        assert draft.receiving_office.agency_code == "000.00.09.T25"
        assert draft.handling_office.agency_code == "000.00.09.T25"
        assert draft.code


def test_reactivation_takes_the_dossiers_back(tinh, session):
    _post(tinh, "/admin/offices/new", **_new())
    _deactivate(tinh, OTHER_OFFICE, "000.00.09.T25")
    assert _post(tinh, f"/admin/offices/{OTHER_OFFICE}/reactivate").status_code == 303
    session.expire_all()
    o = office(session, OTHER_OFFICE)
    assert o.active and o.successor is None
    assert o in procedure(session, BIRTH).receiving_offices
    entry = _audits(session, "office.reactivate")[-1]
    assert entry.before == {"active": False, "successor": "000.00.09.T25"}
    assert _post(tinh, f"/admin/offices/{OTHER_OFFICE}/reactivate").status_code == 404


# --- public pages move on at once -----------------------------------------------------------------


def test_public_pages_show_an_edit_at_once_through_the_page_cache(fresh_app):
    app = fresh_app(PAGE_CACHE_BYTES=4 * 1024 * 1024, PAGE_CACHE_VERSION_SECONDS=0)
    visitor = app.test_client()
    assert "0218 3852 004" in visitor.get("/offices").get_data(as_text=True)
    assert "0218 3852 004" in visitor.get("/offices").get_data(as_text=True)  # cached
    with get_db(app).transaction() as s:
        version = current_version(s)
    admin = app.test_client()
    with get_db(app).transaction() as s:
        login(admin, user(s, "admin@demo.test"))
    token = csrf_token(admin, "/admin/offices/")
    response = admin.post(f"/admin/offices/{OFFICE}", data={
        "csrf_token": token, "address": "Phường Hòa Bình, tỉnh Phú Thọ",
        "phone": "0218 3999 999", "hours": "", "postage": "25000"})
    assert response.status_code == 303
    with get_db(app).transaction() as s:
        assert current_version(s) > version
    for path in ("/offices", "/", f"/procedures/{BIRTH}"):
        page = visitor.get(path).get_data(as_text=True)
        assert "0218 3999 999" in page and "0218 3852 004" not in page, path


def test_a_commune_admins_bad_hours_are_refused_too(xa, session):
    response = _post(xa, f"/admin/offices/{OFFICE}", address="Số 2", phone="",
                     hours="07:00-11:30, 11:00-17:00", postage="-5")
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "chồng lên nhau" in text
    assert "từ 0 đến 10.000.000" in text and 'value="07:00-11:30, 11:00-17:00"' in text
    session.expire_all()
    assert office(session, OFFICE).address == "Phường Hòa Bình, tỉnh Phú Thọ"
    assert not _audits(session, "office.edit")


def test_the_import_needs_the_provinces_official_code(tinh, session):
    office(session, PROVINCE).admin_unit_code = None
    session.commit()
    before = session.scalar(select(func.count()).select_from(Office))
    response = _post(tinh, "/admin/offices/import")
    assert response.status_code == 400
    assert "Hãy nhập mã đơn vị hành chính của tỉnh" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Office)) == before
    assert not _audits(session, "office.import")
