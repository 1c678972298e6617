"""/verify/<token> on a 360 px phone: what the document says is readable and the long file
fingerprint wraps instead of pushing the page sideways.

Set PORTAL_SCREENSHOTS=<folder> to keep a screenshot of the page."""

from __future__ import annotations

import os

from district_portal.db import get_db
from district_portal.services.documents import issuing
from tests.factories import accepted_dossier, user


def _issued_token(app) -> str:
    with app.test_request_context(), get_db(app).transaction() as session:
        d = accepted_dossier(session)
        issuing.prepare_rendered(session, d, user(session, "officer@demo.test"))
        issuing.issue(session, d, user(session, "leader@demo.test"), expected_version=d.version)
        return d.verification_token


def test_the_verify_page_fits_a_phone_and_shows_the_documents_fields(live_server, chromium):
    token = _issued_token(live_server)
    context = chromium.new_context(viewport={"width": 360, "height": 800}, locale="vi-VN",
                                   java_script_enabled=False)
    page = context.new_page()
    try:
        response = page.goto(f"{live_server.config['LIVE_URL']}/verify/{token}")
        assert response.status == 200
        fields = page.inner_text("#document-fields")
        assert "Nguyễn Minh Khôi" in fields and "20/02/2026" in fields
        box = page.locator("code.hash").bounding_box()
        assert box["x"] + box["width"] <= 360 and box["height"] > 20  # wrapped on 2+ lines
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        if os.environ.get("PORTAL_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["PORTAL_SCREENSHOTS"],
                                              "verify-360.png"), full_page=True)
    finally:
        context.close()
