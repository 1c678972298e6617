"""An unexpected error: a Vietnamese page, no stack trace, and nothing of the request kept."""

from __future__ import annotations

from sqlalchemy import select

from district_portal import db
from district_portal.db import get_db
from district_portal.models import Office


def test_an_unexpected_error_shows_the_vietnamese_500_page_and_keeps_nothing(fresh_app):
    app = fresh_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken():
        office = db.session().scalar(select(Office).where(Office.agency_code == "000.00.04.T25"))
        office.name = "Đổi tên dở dang"
        db.session().flush()
        raise RuntimeError("boom: secret detail")

    app.add_url_rule("/_broken", "broken", broken, methods=["POST"])
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/_broken")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Cổng dịch vụ gặp sự cố" in body
    assert "Traceback" not in body and "secret detail" not in body
    with app.app_context(), get_db(app).transaction(write=False) as session:
        name = session.scalar(select(Office.name).where(Office.agency_code == "000.00.04.T25"))
    assert name == "UBND phường Hòa Bình"


def test_a_successful_write_request_is_committed_once(fresh_app):
    app = fresh_app()
    app.config["WTF_CSRF_ENABLED"] = False

    def rename():
        office = db.session().scalar(select(Office).where(Office.agency_code == "000.00.04.T25"))
        office.name = "UBND phường Hòa Bình (mới)"
        return "ok"

    app.add_url_rule("/_rename", "rename", rename, methods=["POST"])
    assert app.test_client().post("/_rename").status_code == 200
    with app.app_context(), get_db(app).transaction(write=False) as session:
        name = session.scalar(select(Office.name).where(Office.agency_code == "000.00.04.T25"))
    assert name == "UBND phường Hòa Bình (mới)"
