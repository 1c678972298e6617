"""The resident's dossier page shows what was sent to them, and whether it went out."""

from __future__ import annotations

from factories import create_dossier
from sqlalchemy import select

from district_portal.models import User
from district_portal.services.notifications import send_pending
from district_portal.services.workflow import Action, perform


def test_the_dossier_page_lists_messages_and_their_delivery_state(app, db_session):
    resident = db_session.scalar(select(User).where(User.email == "resident@demo.test"))
    clerk = db_session.scalar(select(User).where(User.email == "clerk@demo.test"))
    d = create_dossier(db_session, applicant_user_id=resident.id)
    perform(db_session, d, Action.ACCEPT, clerk)
    db_session.commit()
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = resident.get_id()
        s["_fresh"] = True
    page = client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    assert "Tin nhắn đã gửi cho bạn" in page
    assert f"Hồ sơ {d.code} đã được tiếp nhận" in page
    assert "đang chờ gửi" in page
    send_pending(db_session, app.config)
    db_session.commit()
    page = client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    assert "đã gửi" in page and "đang chờ gửi" not in page


def test_the_dossier_page_offers_the_slips_the_office_issued(app, db_session):
    resident = db_session.scalar(select(User).where(User.email == "resident@demo.test"))
    clerk = db_session.scalar(select(User).where(User.email == "clerk@demo.test"))
    d = create_dossier(db_session, applicant_user_id=resident.id)
    db_session.commit()
    client = app.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = resident.get_id()
        s["_fresh"] = True
    page = client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    assert "slips/supplement.pdf" not in page
    perform(db_session, d, Action.REQUEST_SUPPLEMENT, clerk, reason="Thiếu bản chụp rõ nét")
    db_session.commit()
    page = client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    assert "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (PDF)" in page
    slip = client.get(f"/my/dossiers/{d.public_id}/slips/supplement.pdf")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
