"""The catalogue file: validation with JSON paths, all-or-nothing import, versions, export."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from district_portal.db import get_db
from district_portal.models import Base, Procedure, ProcedureLevelChange, ProcedureVersion
from district_portal.services.catalog.importer import (
    CatalogError,
    demo_catalog_path,
    import_catalog,
    validate_catalog,
)


def demo_doc() -> dict:
    return json.loads(demo_catalog_path().read_text("utf-8"))


def make_procedure(code: str = "9.000001", **overrides) -> dict:
    entry = {
        "code": code,
        "name": f"Thủ tục thử nghiệm {code}",
        "field": "Thử nghiệm",
        "level": "commune",
        "online_level": "full",
        "processing_time": {"amount": 2, "unit": "working_days"},
        "fee": 0,
        "offices": ["000.00.04.T25"],
        "steps": ["Nộp hồ sơ."],
        "documents": [{"key": "giay_to", "name": "Giấy tờ", "originals": 1, "mandatory": True}],
        "fields": [{"key": "ho_ten", "label": "Họ và tên", "type": "text", "required": True}],
        "result": {"name": "Kết quả thử nghiệm"},
    }
    entry.update(overrides)
    return entry


def catalog(*procedures: dict, offices: list | None = None) -> dict:
    doc = {"format": "district-portal-catalog/1", "procedures": list(procedures)}
    if offices is not None:
        doc["offices"] = offices
    return doc


def validate(doc: object) -> list[str]:
    """Validate against the demo catalogue's offices, as an import into the demo database."""
    return validate_catalog(doc, known_offices={o["agency_code"] for o in demo_doc()["offices"]})


def row_counts(app) -> dict[str, int]:
    with get_db(app).transaction(write=False) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t))
                for t in Base.metadata.sorted_tables}


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["portal", *args])


# --- validation -----------------------------------------------------------------------------


def test_the_demo_catalogue_is_valid():
    assert validate_catalog(demo_doc()) == []


def test_schema_violations_are_all_reported_with_their_json_paths():
    bad = make_procedure(fee=-5, online_level="level4")
    del bad["steps"]
    errors = validate(catalog(bad, make_procedure("9.000002", name="")))
    joined = "\n".join(errors)
    assert "$.procedures[0].fee:" in joined
    assert "$.procedures[0].online_level:" in joined
    assert any(e.startswith("$.procedures[0]:") and "'steps'" in e for e in errors)
    assert "$.procedures[1].name:" in joined
    assert len(errors) == 4


def test_a_file_of_the_wrong_format_or_shape_is_refused():
    assert any(e.startswith("$.format:") for e in validate_catalog(
        {"format": "other/2", "procedures": []}))
    assert validate_catalog([1, 2, 3]) != []
    assert validate_catalog("text") != []


def test_a_field_key_colliding_with_another_key_is_reported():
    proc = make_procedure(fields=[
        {"key": "giay_to", "label": "Trùng với giấy tờ", "type": "text"},
        {"key": "ho_ten", "label": "Họ tên", "type": "text"},
        {"key": "ho_ten", "label": "Họ tên lần nữa", "type": "text"},
    ])
    errors = validate(catalog(proc))
    assert "$.procedures[0].fields[0].key: key 'giay_to' is used more than once" in \
        "\n".join(errors)
    assert any(e.startswith("$.procedures[0].documents[0].key:") for e in errors)
    assert any(e.startswith("$.procedures[0].fields[1].key:") for e in errors)
    assert any(e.startswith("$.procedures[0].fields[2].key:") for e in errors)


def test_a_key_starting_with_applicant_collides_with_the_applicant_section():
    proc = make_procedure(fields=[{"key": "applicant_phone", "label": "SĐT", "type": "phone"}])
    errors = validate(catalog(proc))
    assert errors == ["$.procedures[0].fields[0].key: key 'applicant_phone' collides with "
                      "the applicant section"]


def test_csrf_token_is_a_reserved_key_for_fields_and_documents():
    proc = make_procedure(
        fields=[{"key": "csrf_token", "label": "Mã", "type": "text"}],
        documents=[{"key": "csrf_token", "name": "Giấy", "mandatory": False}],
    )
    errors = validate(catalog(proc))
    assert "$.procedures[0].fields[0].key: key 'csrf_token' is reserved by the form" in errors
    assert "$.procedures[0].documents[0].key: key 'csrf_token' is reserved by the form" in errors


def test_a_key_named_like_the_derived_label_of_another_key_is_reported():
    proc = make_procedure(fields=[
        {"key": "gioi_tinh", "label": "Giới tính", "type": "radio",
         "options": [{"value": "nam", "label": "Nam"}, {"value": "nu", "label": "Nữ"}]},
        {"key": "gioi_tinh_label", "label": "Nhãn", "type": "text"},
    ])
    errors = validate(catalog(proc))
    assert errors == ["$.procedures[0].fields[1].key: key 'gioi_tinh_label' collides with the "
                      "derived label of 'gioi_tinh'"]


def test_an_unknown_office_in_a_procedure_is_reported():
    proc = make_procedure(offices=["000.00.04.T25", "999.99.99.X99"])
    errors = validate(catalog(proc))
    assert errors == ["$.procedures[0].offices[1]: unknown office '999.99.99.X99'"]


def test_offices_named_in_the_same_file_are_known():
    office = {"agency_code": "000.00.99.T25", "name": "UBND xã Thử", "kind": "commune"}
    proc = make_procedure(offices=["000.00.99.T25"])
    assert validate_catalog(catalog(proc, offices=[office])) == []


def test_duplicate_procedure_codes_are_reported():
    errors = validate(catalog(make_procedure("9.000001"), make_procedure("9.000001")))
    assert errors == ["$.procedures[1].code: duplicate procedure code '9.000001'"]


def test_visible_if_naming_an_unknown_field_is_reported():
    proc = make_procedure(fields=[
        {"key": "ho_ten", "label": "Họ tên", "type": "text",
         "visible_if": {"field": "khong_co", "equals": "x"}},
    ])
    errors = validate(catalog(proc))
    assert errors == ["$.procedures[0].fields[0].visible_if.field: unknown field 'khong_co'"]


def test_a_select_without_options_is_reported():
    proc = make_procedure(fields=[{"key": "muc_dich", "label": "Mục đích", "type": "select"}])
    errors = validate(catalog(proc))
    assert errors == ["$.procedures[0].fields[0].options: a select field needs options"]


def test_every_semantic_error_of_a_file_is_reported_at_once():
    procs = [
        make_procedure("9.000001", offices=["NOPE.01"]),
        make_procedure("9.000001"),
        make_procedure("9.000003", fields=[
            {"key": "applicant_x", "label": "X", "type": "text"},
            {"key": "loai", "label": "Loại", "type": "select"},
        ]),
    ]
    errors = validate(catalog(*procs))
    assert sorted(errors) == sorted([
        "$.procedures[0].offices[0]: unknown office 'NOPE.01'",
        "$.procedures[1].code: duplicate procedure code '9.000001'",
        "$.procedures[2].fields[0].key: key 'applicant_x' collides with the applicant section",
        "$.procedures[2].fields[1].options: a select field needs options",
    ])


def test_import_of_an_invalid_file_raises_and_writes_nothing(db_session):
    before = db_session.scalar(select(func.count()).select_from(Procedure))
    with pytest.raises(CatalogError) as info:
        import_catalog(db_session, catalog(make_procedure(offices=["NOPE.01"])))
    assert info.value.errors == ["$.procedures[0].offices[0]: unknown office 'NOPE.01'"]
    assert db_session.scalar(select(func.count()).select_from(Procedure)) == before


# --- the command ----------------------------------------------------------------------------


def test_an_invalid_file_through_the_command_exits_non_zero_prints_every_error_and_writes_nothing(
        fresh_app, tmp_path):
    app = fresh_app()
    good = make_procedure("9.000010")
    bad = catalog(
        good,
        make_procedure("9.000011", offices=["NOPE.01"]),
        make_procedure("9.000011"),
        make_procedure("9.000012", fields=[{"key": "csrf_token", "label": "X", "type": "text"}]),
        offices=[{"agency_code": "000.00.98.T25", "name": "UBND xã Mới", "kind": "commune"}],
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), "utf-8")
    before = row_counts(app)
    result = run_cli(app, "catalog-import", str(path))
    assert result.exit_code != 0
    assert "nothing was imported (3 error(s))" in result.output
    assert "$.procedures[1].offices[0]: unknown office 'NOPE.01'" in result.output
    assert "$.procedures[2].code: duplicate procedure code '9.000011'" in result.output
    assert "$.procedures[3].fields[0].key: key 'csrf_token' is reserved" in result.output
    assert "Traceback" not in result.output
    assert row_counts(app) == before


@pytest.mark.parametrize("content, message", [
    (b"{not json", "cannot read"),
    (b"\xff\xfe\x00garbage\x81", "cannot read"),
    (b"", "cannot read"),
])
def test_a_file_that_is_not_utf8_json_exits_non_zero_with_a_message(
        fresh_app, tmp_path, content, message):
    app = fresh_app()
    path = tmp_path / "broken.json"
    path.write_bytes(content)
    before = row_counts(app)
    result = run_cli(app, "catalog-import", str(path))
    assert result.exit_code == 1
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert row_counts(app) == before


def test_a_missing_file_exits_non_zero_with_a_message(fresh_app, tmp_path):
    app = fresh_app()
    result = run_cli(app, "catalog-import", str(tmp_path / "absent.json"))
    assert result.exit_code == 1
    assert "cannot read" in result.output


def test_importing_the_demo_catalogue_twice_changes_nothing(fresh_app):
    app = fresh_app()  # seeded: the demo catalogue is already in
    before = row_counts(app)
    result = run_cli(app, "catalog-import", str(demo_catalog_path()))
    assert result.exit_code == 0, result.output
    assert "procedures: 0 created, 0 new version(s), 7 unchanged" in result.output
    assert "online-level changes logged: 0" in result.output
    assert row_counts(app) == before


def test_the_demo_catalogue_imports_into_an_empty_database_through_the_command(fresh_app):
    app = fresh_app(seeded=False)
    result = run_cli(app, "catalog-import", str(demo_catalog_path()))
    assert result.exit_code == 0, result.output
    procedures = len(demo_doc()["procedures"])
    assert f"procedures: {procedures} created" in result.output
    counts = row_counts(app)
    assert counts["procedure"] == counts["procedure_version"] == procedures
    assert counts["procedure_level_change"] == procedures
    assert counts["office"] == len(demo_doc()["offices"])


# --- versions and level changes ---------------------------------------------------------------


def test_a_changed_procedure_gets_version_2_and_version_1_keeps_its_data(db_session):
    doc = demo_doc()
    entry = next(p for p in doc["procedures"] if p["code"] == "1.004873")
    original = copy.deepcopy(entry)
    entry["fee"]["lines"][0]["amount"] = 20000
    report = import_catalog(db_session, doc, reason="new fee")
    assert (report.procedures_new_version, report.procedures_created) == (1, 0)
    assert report.level_changes == 0
    proc = db_session.scalar(select(Procedure).where(Procedure.code == "1.004873"))
    db_session.expire_all()
    versions = db_session.scalars(select(ProcedureVersion).where(
        ProcedureVersion.procedure_id == proc.id).order_by(ProcedureVersion.number)).all()
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].data == original
    assert versions[1].data["fee"]["lines"][0]["amount"] == 20000
    assert proc.current_version_id == versions[1].id
    assert db_session.scalar(select(func.count()).select_from(ProcedureLevelChange).where(
        ProcedureLevelChange.procedure_id == proc.id)) == 1


def test_a_changed_online_level_is_logged_with_old_and_new_level(db_session):
    doc = demo_doc()
    entry = next(p for p in doc["procedures"] if p["code"] == "1.000894")
    assert entry["online_level"] == "partial"
    entry["online_level"] = "full"
    # Ready to be fully online: no in-person step, the result sent by post.
    entry["steps"] = [s["text"] if isinstance(s, dict) else s for s in entry["steps"]]
    entry["result"]["by_post"] = True
    report = import_catalog(db_session, doc, reason="nâng mức độ")
    assert report.level_changes == 1
    proc = db_session.scalar(select(Procedure).where(Procedure.code == "1.000894"))
    changes = db_session.scalars(select(ProcedureLevelChange).where(
        ProcedureLevelChange.procedure_id == proc.id).order_by(ProcedureLevelChange.id)).all()
    assert [(c.old_level, c.new_level) for c in changes] == [(None, "partial"),
                                                             ("partial", "full")]
    assert changes[-1].reason == "nâng mức độ"
    assert proc.online_level == "full"
    assert proc.current_version.number == 2


def test_an_unpublished_procedure_is_hidden_from_the_catalogue_search_home_and_its_page(
        app, db_session, client):
    doc = demo_doc()
    entry = next(p for p in doc["procedures"] if p["code"] == "1.001193")
    entry["published"] = False
    full_before = client.get("/").get_data(as_text=True)
    import_catalog(db_session, doc)
    db_session.commit()
    assert client.get("/procedures/1.001193").status_code == 404
    listing = client.get("/procedures").get_data(as_text=True)
    assert "/procedures/1.001193" not in listing
    assert "/procedures/1.000656" in listing
    found = client.get("/procedures?q=khai+sinh").get_data(as_text=True)
    assert "/procedures/1.001193" not in found
    assert "/procedures/1.001193" not in client.get("/procedures?q=1.001193").get_data(
        as_text=True)
    full_count = sum(1 for p in doc["procedures"]
                     if p["online_level"] == "full" and p.get("published", True))
    home = client.get("/").get_data(as_text=True)
    assert f"(mức độ 4)</th><td>{full_count}</td>" in home
    assert f"(mức độ 4)</th><td>{full_count + 1}</td>" in full_before
    assert "/procedures/1.001193" not in home


def test_republishing_a_procedure_shows_it_again_without_a_new_version(db_session, client):
    doc = demo_doc()
    entry = next(p for p in doc["procedures"] if p["code"] == "1.001193")
    entry["published"] = False
    import_catalog(db_session, doc)
    entry["published"] = True
    report = import_catalog(db_session, doc)
    db_session.commit()
    assert report.procedures_new_version == 0
    assert client.get("/procedures/1.001193").status_code == 200


# --- export -------------------------------------------------------------------------------------


def test_an_export_imported_into_a_fresh_database_gives_the_same_catalogue(fresh_app, tmp_path):
    source = fresh_app()
    doc = demo_doc()
    next(p for p in doc["procedures"] if p["code"] == "1.000656")["published"] = False
    doc["offices"].append({"agency_code": "000.00.07.T25", "name": "UBND xã Cũ",
                           "kind": "commune", "parent": "000.00.00.T25", "active": False,
                           "successor": "000.00.06.T25", "hours": ["07:00-11:00"]})
    with get_db(source).transaction() as session:
        import_catalog(session, doc)
    first = tmp_path / "first.json"
    assert run_cli(source, "catalog-export", str(first)).exit_code == 0

    target = fresh_app(seeded=False)
    result = run_cli(target, "catalog-import", str(first))
    assert result.exit_code == 0, result.output
    second = tmp_path / "second.json"
    assert run_cli(target, "catalog-export", str(second)).exit_code == 0
    exported = json.loads(first.read_text("utf-8"))
    assert json.loads(second.read_text("utf-8")) == exported
    assert {o["agency_code"] for o in exported["offices"]} == {
        o["agency_code"] for o in doc["offices"]}
    assert next(p for p in exported["procedures"] if p["code"] == "1.000656")["published"] \
        is False
    assert validate_catalog(exported) == []


def test_reimporting_an_export_into_the_same_database_changes_nothing(fresh_app, tmp_path):
    app = fresh_app()
    path = tmp_path / "export.json"
    assert run_cli(app, "catalog-export", str(path)).exit_code == 0
    before = row_counts(app)
    result = run_cli(app, "catalog-import", str(path))
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated; procedures: 0 created, 0 new version(s)" in result.output
    assert row_counts(app) == before
