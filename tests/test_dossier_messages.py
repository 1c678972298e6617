"""The resident's dossier page shows what was sent to them, and whether it went out."""

from __future__ import annotations

from sqlalchemy import select

from district_portal.models import User
from district_portal.services.dossiers.workflow import Action, perform
from district_portal.services.notifications import send_pending
from tests.factories import create_dossier
from tests.helpers import login


def test_the_dossier_page_lists_messages_and_their_delivery_state(app, db_session):
    resident = db_session.scalar(select(User).where(User.email == "resident@demo.test"))
    clerk = db_session.scalar(select(User).where(User.email == "clerk@demo.test"))
    d = create_dossier(db_session, applicant_user_id=resident.id)
    perform(db_session, d, Action.ACCEPT, clerk)
    db_session.commit()
    client = app.test_client()
    login(client, resident)
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
    login(client, resident)
    page = client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    assert "slips/supplement.pdf" not in page
    perform(db_session, d, Action.REQUEST_SUPPLEMENT, clerk, reason="Thiếu bản chụp rõ nét")
    db_session.commit()
    page = client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    assert "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (PDF)" in page
    slip = client.get(f"/my/dossiers/{d.public_id}/slips/supplement.pdf")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"


def _emails_to(session, dossier):
    from district_portal.models import Notification

    return {n.recipient for n in session.scalars(
        select(Notification).where(Notification.dossier_id == dossier.id,
                                   Notification.channel == "email"))}


def test_staff_are_told_of_a_supplement_a_withdrawal_and_a_transfer(app, db_session):
    from district_portal.models import Office
    from district_portal.services.accounts.users import create_user

    clerk = db_session.scalar(select(User).where(User.email == "clerk@demo.test"))
    leader = db_session.scalar(select(User).where(User.email == "leader@demo.test"))
    resident = db_session.scalar(select(User).where(User.email == "resident@demo.test"))
    other = db_session.scalar(select(Office).where(Office.agency_code == "000.00.05.T25"))
    far_clerk = create_user(db_session, email="clerk5@demo.test", password="x" * 12,
                            roles=["clerk"], office_code="000.00.05.T25", full_name="Văn thư")

    supplied = create_dossier(db_session, applicant_user_id=resident.id)
    perform(db_session, supplied, Action.REQUEST_SUPPLEMENT, clerk, reason="Thiếu giấy tờ")
    perform(db_session, supplied, Action.SUPPLEMENT, resident, changes=["document:x"])
    assert "clerk@demo.test" in _emails_to(db_session, supplied)

    withdrawn = create_dossier(db_session, applicant_user_id=resident.id)
    perform(db_session, withdrawn, Action.WITHDRAW, resident)
    assert "clerk@demo.test" in _emails_to(db_session, withdrawn)

    moved = create_dossier(db_session, status="in_progress")
    perform(db_session, moved, Action.TRANSFER, leader, office=other, reason="Đúng thẩm quyền")
    assert far_clerk.email in _emails_to(db_session, moved)


def test_the_resident_sees_only_the_messages_sent_to_them(app, db_session):
    resident = db_session.scalar(select(User).where(User.email == "resident@demo.test"))
    clerk = db_session.scalar(select(User).where(User.email == "clerk@demo.test"))
    d = create_dossier(db_session, applicant_user_id=resident.id)
    perform(db_session, d, Action.REQUEST_SUPPLEMENT, clerk, reason="Thiếu giấy tờ")
    perform(db_session, d, Action.SUPPLEMENT, resident, changes=["document:x"])
    db_session.commit()
    client = app.test_client()
    login(client, resident)
    page = client.get(f"/my/dossiers/{d.public_id}").get_data(as_text=True)
    assert "cần bổ sung" in page
    from district_portal.models import Notification

    staff_text = db_session.scalar(select(Notification.text).where(
        Notification.dossier_id == d.id, Notification.recipient == "clerk@demo.test"))
    assert staff_text and staff_text not in page
