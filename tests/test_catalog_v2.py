"""Catalogue format 2: fee rules, postage, in-person steps and fully-online readiness, with
format-1 files still importing unchanged."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

from sqlalchemy import select

from district_portal.models import Office, Procedure
from district_portal.services.catalog.importer import (
    CatalogError,
    demo_catalog_path,
    export_catalog,
    import_catalog,
    validate_catalog,
)
from district_portal.services.catalog.readiness import readiness

V1 = "district-portal-catalog/1"
V2 = "district-portal-catalog/2"
ROOT = Path(__file__).resolve().parent.parent


def demo() -> dict:
    return json.loads(demo_catalog_path().read_text("utf-8"))


def known() -> set[str]:
    return {o["agency_code"] for o in demo()["offices"]}


def procedure(code="9.100001", **overrides) -> dict:
    entry = {
        "code": code, "name": f"Thủ tục thử {code}", "field": "Thử nghiệm", "level": "commune",
        "online_level": "partial",
        "processing_time": {"amount": 1, "unit": "working_days"},
        "fee": {"lines": [{"label": "Phí chứng thực", "per": "pages", "times": "copies",
                           "tiers": [{"up_to": 2, "amount": 2000}, {"amount": 1000}],
                           "cap": 200000}],
                "exempt_if": [{"field": "kind", "equals": "free"}],
                "online_payment": True},
        "offices": ["000.00.04.T25"],
        "steps": ["Nộp hồ sơ trực tuyến.", {"text": "Nhận kết quả.", "in_person": False}],
        "documents": [],
        "fields": [
            {"key": "pages", "label": "Số trang", "type": "number", "required": True, "min": 1},
            {"key": "copies", "label": "Số bản", "type": "number", "required": True, "min": 1},
            {"key": "kind", "label": "Loại", "type": "radio", "required": True,
             "options": [{"value": "free", "label": "Miễn"}, {"value": "paid", "label": "Thu"}]},
            {"key": "note", "label": "Ghi chú", "type": "text"},
        ],
        "result": {"name": "Bản sao", "template": "<p>{{ answers.pages }}</p>"},
    }
    entry.update(overrides)
    return entry


def v2(*procs, offices=None) -> dict:
    doc = {"format": V2, "procedures": list(procs)}
    if offices is not None:
        doc["offices"] = offices
    return doc


def errors_of(doc) -> list[str]:
    return validate_catalog(doc, known_offices=known())


# --- the demo and format 1 ----------------------------------------------------------------


def test_the_demo_catalogue_is_format_2_with_every_level_and_a_fee_paying_full_procedure():
    doc = demo()
    assert doc["format"] == V2
    assert validate_catalog(doc) == []
    levels = {p["online_level"] for p in doc["procedures"]}
    assert levels == {"full", "partial", "none"}
    paying_full = [p for p in doc["procedures"] if p["online_level"] == "full"
                   and isinstance(p["fee"], dict) and p["fee"].get("online_payment")
                   and p["result"].get("template") and p["fee"]["lines"]]
    assert paying_full
    assert all(readiness(p) == [] for p in doc["procedures"] if p["online_level"] == "full")


def test_the_demo_has_a_certified_copy_with_page_tiers_and_a_cap_and_free_on_time_births():
    procs = {p["code"]: p for p in demo()["procedures"]}
    copy_rule = procs["2.000815"]["fee"]["lines"][0]
    assert copy_rule["per"] == "pages" and copy_rule["times"] == "copies_wanted"
    assert [t["amount"] for t in copy_rule["tiers"]] == [2000, 1000]
    assert copy_rule["cap"] == 200000
    birth = procs["1.001193"]["fee"]
    assert birth["exempt_if"] == [{"field": "late_registration", "equals": False,
                                   "label": "Đăng ký khai sinh đúng hạn"}]


def test_the_format_1_demo_file_still_validates_and_imports_unchanged(db_session):
    old = json.loads(subprocess.run(
        ["git", "show", "d030180:district_portal/data/demo-phu-tho.json"], cwd=ROOT,
        capture_output=True, text=True, check=True).stdout)
    assert old["format"] == V1
    assert validate_catalog(old) == []
    report = import_catalog(db_session, old, reason="old file")
    # Its fully-online procedures with a fee are imported, with a warning each.
    assert any("$.procedures[1].fee: not ready to be fully online" in m
               for m in report.messages)
    proc = db_session.scalar(select(Procedure).where(Procedure.code == "1.004873"))
    assert proc.current_version.data["fee"] == 15000
    assert proc.online_level == "full"


def test_format_1_refuses_format_2_features():
    doc = {"format": V1, "procedures": [procedure()]}
    errs = validate_catalog(doc, known_offices=known())
    assert any(e.startswith("$.procedures[0].fee:") for e in errs)
    assert any(e.startswith("$.procedures[0].steps[1]:") for e in errs)


def test_format_1_keeps_the_postage_a_format_2_import_set(db_session):
    import_catalog(db_session, v2(offices=[{"agency_code": "000.00.04.T25",
                                            "name": "UBND phường Hòa Bình", "kind": "commune",
                                            "admin_unit_code": 4795, "postage": 27000}]))
    import_catalog(db_session, {"format": V1, "procedures": [], "offices": [
        {"agency_code": "000.00.04.T25", "name": "UBND phường Hòa Bình", "kind": "commune",
         "admin_unit_code": 4795}]})
    office = db_session.scalar(select(Office).where(Office.agency_code == "000.00.04.T25"))
    assert office.postage == 27000


def test_an_unknown_format_is_refused():
    assert any(e.startswith("$.format:") for e in validate_catalog(
        {"format": "district-portal-catalog/3", "procedures": []}))


# --- fee rules ---------------------------------------------------------------------------


def test_a_valid_format_2_procedure_imports_and_exports_with_its_rules(db_session):
    entry = procedure()
    assert errors_of(v2(entry)) == []
    import_catalog(db_session, v2(entry))
    exported = export_catalog(db_session)
    assert exported["format"] == V2
    again = next(p for p in exported["procedures"] if p["code"] == entry["code"])
    assert again["fee"] == entry["fee"]
    assert validate_catalog(exported) == []


def test_fee_rules_must_count_existing_number_fields():
    entry = procedure()
    entry["fee"]["lines"][0]["per"] = "missing"
    entry["fee"]["lines"][0]["times"] = "note"
    errs = errors_of(v2(entry))
    assert "$.procedures[0].fee.lines[0].per: unknown field 'missing'" in errs
    assert ("$.procedures[0].fee.lines[0].times: field 'note' is a text field; a fee can only "
            "count a number field") in errs


def test_exemptions_must_test_a_choice_field_with_one_of_its_values():
    entry = procedure()
    entry["fee"]["exempt_if"] = [{"field": "pages", "equals": 1},
                                 {"field": "kind", "in": ["free", "gratis"]},
                                 {"field": "nowhere", "equals": "x"}]
    errs = errors_of(v2(entry))
    assert any(e.startswith("$.procedures[0].fee.exempt_if[0].field: field 'pages' is a "
                            "number field") for e in errs)
    assert "$.procedures[0].fee.exempt_if[1]: 'gratis' is not a value of field 'kind'" in errs
    assert "$.procedures[0].fee.exempt_if[2].field: unknown field 'nowhere'" in errs


def test_a_checkbox_exemption_needs_true_or_false():
    entry = procedure()
    entry["fields"].append({"key": "late", "label": "Quá hạn", "type": "checkbox"})
    entry["fee"]["lines"][0]["exempt_if"] = [{"field": "late", "equals": "no"}]
    assert errors_of(v2(entry)) == [
        "$.procedures[0].fee.lines[0].exempt_if[0]: 'no' is not a value of field 'late'"]


def test_tiers_must_be_in_increasing_order_with_only_the_last_open():
    entry = procedure()
    entry["fee"]["lines"][0]["tiers"] = [{"up_to": 5, "amount": 2000},
                                         {"up_to": 3, "amount": 1500},
                                         {"amount": 1200}, {"up_to": 9, "amount": 1000}]
    errs = errors_of(v2(entry))
    base = "$.procedures[0].fee.lines[0].tiers"
    assert f"{base}[1].up_to: tiers must be in increasing order (3 after 5)" in errs
    assert f"{base}[2].up_to: only the last tier may be open-ended" in errs
    assert any(e.startswith(f"{base}[3]: the last tier must be open-ended") for e in errs)


def test_tiers_need_a_counted_field():
    entry = procedure()
    del entry["fee"]["lines"][0]["per"]
    assert "$.procedures[0].fee.lines[0].tiers: tiers need `per`, the number field they " \
        "count" in errors_of(v2(entry))


def test_schema_errors_of_rules_have_json_paths():
    entry = procedure()
    entry["fee"]["lines"][0]["cap"] = -1
    entry["fee"]["lines"].append({"label": "Hai cách tính", "amount": 1, "tiers": [
        {"amount": 2}]})
    entry["fee"]["lines"].append({"label": "Không cách tính"})
    errs = errors_of(v2(entry))
    assert any(e.startswith("$.procedures[0].fee") for e in errs)
    assert all(e.startswith("$.procedures[0].fee") for e in errs), errs


def test_an_invalid_file_imports_nothing(db_session):
    entry = procedure()
    entry["fee"]["lines"][0]["per"] = "missing"
    doc = v2(procedure("9.100002"), entry)
    try:
        import_catalog(db_session, doc)
    except CatalogError as exc:
        assert exc.errors == ["$.procedures[1].fee.lines[0].per: unknown field 'missing'"]
    else:
        raise AssertionError("the file was imported")
    assert db_session.scalar(select(Procedure).where(Procedure.code == "9.100002")) is None


# --- fully-online readiness --------------------------------------------------------------


def test_a_ready_full_procedure_imports():
    assert errors_of(v2(procedure(online_level="full"))) == []


def test_a_full_procedure_that_needs_a_visit_is_refused_with_every_reason():
    entry = procedure(online_level="full")
    entry["fee"]["online_payment"] = False
    entry["result"] = {"name": "Bản sao giấy"}
    entry["steps"] = ["Nộp trực tuyến.", {"text": "Mang bản chính đến đối chiếu.",
                                          "in_person": True}]
    errs = errors_of(v2(entry))
    assert [e.split(":")[0] for e in errs] == ["$.procedures[0].fee.online_payment",
                                               "$.procedures[0].result",
                                               "$.procedures[0].steps[1].in_person"]
    assert "cannot be paid online" in errs[0]
    assert "neither be delivered online" in errs[1]
    assert "in person" in errs[2]


def test_a_fixed_fee_without_online_payment_is_not_ready():
    entry = procedure(online_level="full", fee=20000)
    assert [e.split(":")[0] for e in errors_of(v2(entry))] == ["$.procedures[0].fee"]


def test_a_free_full_procedure_needs_no_online_payment_and_post_is_a_way_out():
    entry = procedure(online_level="full", fee=0, result={"name": "Giấy", "by_post": True})
    assert errors_of(v2(entry)) == []
    scan = procedure(online_level="full", fee=0, result={"name": "Giấy", "signed_scan": True})
    assert errors_of(v2(scan)) == []


def test_readiness_reads_stored_versions_of_either_format():
    assert [r.path for r in readiness({"fee": 5000, "result": {"name": "x"}, "steps": []})] \
        == ["fee", "result"]
    assert readiness(procedure(online_level="full")) == []
    reason = readiness({"fee": 0, "result": {"name": "x"}, "steps": []})[0]
    assert str(reason).startswith("result: ")


def test_partial_and_none_procedures_may_need_a_visit():
    entry = procedure(online_level="partial", result={"name": "Giấy"})
    entry["steps"] = [{"text": "Đến trụ sở.", "in_person": True}]
    entry["fee"]["online_payment"] = False
    assert errors_of(v2(entry)) == []


def test_the_cli_prints_readiness_warnings_of_a_format_1_file(app, tmp_path):
    doc = {"format": V1, "procedures": [copy.deepcopy(procedure(
        "9.100009", online_level="full", fee=5000, steps=["Nộp."],
        result={"name": "Giấy"}))]}
    doc["procedures"][0]["fee"] = 5000
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    result = app.test_cli_runner().invoke(args=["portal", "catalog-import", str(path)])
    assert result.exit_code == 0, result.output
    # Click 8.2+: `output` holds stdout and stderr as the terminal shows them.
    assert "warning: $.procedures[0].fee: not ready to be fully online" in result.output
