"""Staff notes are internal unless meant for the applicant (issue 11, item 11): a transfer's
reason is shown to the applicant only when staff tick "Cho người nộp xem"; a reason the
applicant is sent anyway (refusal, supplement request, extension) stays on their page."""

from __future__ import annotations

import re

from district_portal.models import DossierStatus as S
from tests.factories import OTHER_OFFICE, create_filed_dossier, user
from tests.helpers import login, post_action

SECRET = "Chuyển vì cán bộ phường nghỉ ốm, số máy riêng 0912000111"
SHARED = "Chuyển về phường Tân Hòa là nơi có thẩm quyền giải quyết"


def _resident_page(client, sess, d) -> str:
    login(client, user(sess, "resident@demo.test"))
    page = client.get(f"/my/dossiers/{d.public_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _transfer(client, sess, d, reason, **fields):
    login(client, user(sess, "clerk@demo.test"))
    page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    # The box is offered and not ticked.
    assert 'name="transfer-note_public"' in page and "Cho người nộp xem" in page
    box = re.search(r'<input[^>]*name="transfer-note_public"[^>]*>', page).group(0)
    assert 'type="checkbox"' in box and "checked" not in box
    response = post_action(client, d, "transfer", office=OTHER_OFFICE, reason=reason, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)[-600:]
    sess.expire_all()
    return d.events[-1]


def test_a_transfer_reason_is_internal_by_default(client, sess):
    d = create_filed_dossier(sess, status=S.IN_PROGRESS)
    sess.commit()
    event = _transfer(client, sess, d, SECRET)
    assert event.action == "transfer" and event.note == SECRET and not event.note_public
    resident = _resident_page(client, sess, d)
    assert SECRET not in resident
    assert "0912000111" not in resident
    # The office side still reads it, marked as internal (the receiving office follows it).
    login(client, user(sess, "clerk@demo.test"))
    staff_page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    assert SECRET in staff_page and "ghi chú nội bộ" in staff_page


def test_a_transfer_reason_ticked_for_the_applicant_is_shown_to_them(client, sess):
    d = create_filed_dossier(sess, status=S.IN_PROGRESS)
    sess.commit()
    event = _transfer(client, sess, d, SHARED, note_public="y")
    assert event.note_public
    assert SHARED in _resident_page(client, sess, d)


def test_reasons_the_applicant_is_sent_stay_on_their_page(client, sess):
    refused = create_filed_dossier(sess, status=S.NOT_ACCEPTED)
    supplement = create_filed_dossier(sess, status=S.SUPPLEMENT_REQUESTED)
    sess.commit()
    assert refused.events[-1].note_public and supplement.events[-1].note_public
    assert "Thiếu giấy tờ" in _resident_page(client, sess, refused)
    assert "Bổ sung ảnh" in _resident_page(client, sess, supplement)


def test_an_extension_reason_is_the_applicants(client, sess):
    d = create_filed_dossier(sess, status=S.IN_PROGRESS)
    sess.commit()
    login(client, user(sess, "leader@demo.test"))
    response = post_action(client, d, "extend", due_date="2030-01-02", due_time="09:30",
                           reason="Cần xác minh thêm tại nơi sinh")
    assert response.status_code == 303
    sess.expire_all()
    assert d.events[-1].note_public
    assert "Cần xác minh thêm tại nơi sinh" in _resident_page(client, sess, d)
