"""Catalogue edge cases met by real files and real filters."""

from __future__ import annotations

import json

from district_portal.services.catalog.importer import demo_catalog_path


def test_a_catalogue_file_saved_with_a_byte_order_mark_imports(fresh_app, tmp_path):
    app = fresh_app(seeded=False)
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + demo_catalog_path().read_bytes())
    result = app.test_cli_runner().invoke(args=["portal", "catalog-import", str(path)])
    assert result.exit_code == 0, result.output
    assert "7 created" in result.output


def test_the_office_filter_lists_only_offices_with_published_procedures(app, db_session):
    from district_portal.services.catalog.importer import import_catalog

    doc = json.loads(demo_catalog_path().read_text("utf-8"))
    lac_son = "000.00.06.T25"
    for proc in doc["procedures"]:
        if proc["offices"] == [lac_son] or lac_son in proc["offices"]:
            proc["offices"] = [c for c in proc["offices"] if c != lac_son] or ["000.00.04.T25"]
    doc["procedures"].append({**doc["procedures"][0], "code": "9.999999", "published": False,
                              "offices": [lac_son]})
    import_catalog(db_session, doc)
    db_session.commit()
    page = app.test_client().get("/procedures").get_data(as_text=True)
    assert "UBND xã Lạc Sơn" not in page
    assert "UBND phường Hòa Bình" in page


def test_a_nul_character_anywhere_in_the_file_is_refused_with_its_path():
    """PostgreSQL refuses \\u0000 in text and JSON: the importer must say where it is rather
    than fail while saving (found by tests/test_hostile_input.py on PostgreSQL)."""
    from district_portal.services.catalog.importer import validate_catalog

    doc = json.loads(demo_catalog_path().read_text("utf-8"))
    doc["procedures"][0]["steps"][0] = "Nộp hồ sơ\x00"
    errors = validate_catalog(doc)
    assert errors == ["$.procedures[0].steps[0]: contains a NUL character (\\u0000)"]
