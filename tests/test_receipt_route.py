"""Residents download their receipt as a real PDF with the Vietnamese intact."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from district_portal.models import User
from district_portal.services.dossiers.workflow import Action, perform
from tests.factories import create_dossier
from tests.helpers import login as _login


def _text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_owner_downloads_the_online_filing_confirmation_then_form_01(app, db_session):
    resident = db_session.scalar(select(User).where(User.email == "resident@demo.test"))
    clerk = db_session.scalar(select(User).where(User.email == "clerk@demo.test"))
    d = create_dossier(db_session, applicant_user_id=resident.id)
    db_session.commit()
    client = app.test_client()
    _login(client, resident)
    response = client.get(f"/my/dossiers/{d.public_id}/receipt.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _text(response.data)
    assert "XÁC NHẬN NỘP HỒ SƠ TRỰC TUYẾN" in text
    assert d.code in text and "Nguyễn Thị Hằng" in text

    perform(db_session, d, Action.ACCEPT, clerk)
    db_session.commit()
    text = _text(client.get(f"/my/dossiers/{d.public_id}/receipt.pdf").data)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text


def test_another_resident_cannot_download_someone_elses_receipt(app, db_session):
    resident = db_session.scalar(select(User).where(User.email == "resident@demo.test"))
    d = create_dossier(db_session, applicant_user_id=resident.id)
    from district_portal.services.accounts.users import create_user

    other = create_user(db_session, email="other@demo.test", password="x" * 12,
                        roles=["citizen"], full_name="Người khác")
    db_session.commit()
    client = app.test_client()
    _login(client, other)
    assert client.get(f"/my/dossiers/{d.public_id}/receipt.pdf").status_code == 404
    anonymous = app.test_client().get(f"/my/dossiers/{d.public_id}/receipt.pdf")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
