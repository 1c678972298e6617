"""Satisfaction rating: once per returned dossier, by the resident online or by the clerk at the
counter on the resident's behalf, with an optional comment of at most 1000 characters."""

from __future__ import annotations

from district_portal.models import DossierStatus
from tests.factories import MARRIAGE, staff, user
from tests.factories import create_filed_dossier as create_dossier
from tests.helpers import ClientRequest, login, post_action

S = DossierStatus


def resident(app, sess):
    client = app.test_client()
    login(client, user(sess, "resident@demo.test"))
    return ClientRequest(client)


def rate(rc, d, data, form_page=None, **kw):
    url = f"/my/dossiers/{d.public_id}"
    return rc.post(f"{url}/rate", data, form_page=form_page or url, **kw)


def rate_event(d):
    return [e for e in d.events if e.action == "rate"]


def test_the_resident_rates_a_returned_dossier_once(app, sess):
    d = create_dossier(sess, status=S.RETURNED, code=MARRIAGE)
    sess.commit()
    rc = resident(app, sess)
    page = rc.get(f"/my/dossiers/{d.public_id}")
    labels = page.text(page.by_id("rate"))
    for level in ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng",
                  "Rất không hài lòng"):
        assert level in labels
    after = rate(rc, d, {"rating": "4", "comment": "Cán bộ hướng dẫn tận tình."},
                 expected_redirect=f"/my/dossiers/{d.public_id}")
    assert "Cảm ơn ông/bà: đánh giá đã được ghi nhận." in after.text()
    assert "Đánh giá của ông/bà: Hài lòng." in after.text()
    assert after.by_id("rate") is None
    sess.expire_all()
    assert (d.rating, d.rating_comment) == (4, "Cán bộ hướng dẫn tận tình.")
    event = rate_event(d)[-1]
    assert event.data == {"rating": 4, "by": "owner"}
    assert event.actor_id == user(sess, "resident@demo.test").id
    again = rate(rc, d, {"rating": "1"}, expected_status=409)
    assert "Bạn đã đánh giá hồ sơ này rồi." in again.text()
    sess.expire_all()
    assert d.rating == 4 and len(rate_event(d)) == 1


def test_a_rating_needs_a_level_and_a_comment_of_at_most_1000_characters(app, sess):
    d = create_dossier(sess, status=S.RETURNED, code=MARRIAGE)
    sess.commit()
    rc = resident(app, sess)
    long = "ý" * 1001
    page = rate(rc, d, {"rating": "5", "comment": long}, expected_status=400)
    assert "Góp ý dài tối đa 1000 ký tự." in page.text()
    assert page.value("comment") == long  # what was typed is kept
    assert page.value("rating") == "5"
    page = rate(rc, d, {"comment": "Nhanh"}, expected_status=400)
    assert "Chọn mức độ hài lòng của ông/bà." in page.text()
    assert page.value("comment") == "Nhanh"
    rate(rc, d, {"rating": "9"}, expected_status=400)
    rate(rc, d, {"rating": "5", "comment": "ý" * 1000},
         expected_redirect=f"/my/dossiers/{d.public_id}")
    sess.expire_all()
    assert d.rating == 5 and len(d.rating_comment) == 1000


def test_a_dossier_cannot_be_rated_before_its_result_is_returned(app, sess):
    d = create_dossier(sess, status=S.DONE, code=MARRIAGE)
    sess.commit()
    rc = resident(app, sess)
    assert rc.get(f"/my/dossiers/{d.public_id}").by_id("rate") is None
    rate(rc, d, {"rating": "5"}, expected_status=409)
    sess.expire_all()
    assert d.rating is None


def test_another_resident_cannot_rate_the_dossier(app, sess, other_resident):
    d = create_dossier(sess, status=S.RETURNED, code=MARRIAGE)
    sess.commit()
    client = app.test_client()
    login(client, other_resident)
    rate(ClientRequest(client), d, {"rating": "1"}, form_page="/track", expected_status=404)


def test_the_clerk_records_the_rating_given_at_the_counter_and_who_recorded_it(client, sess):
    d = create_dossier(sess, status=S.RETURNED, code=MARRIAGE)
    clerk = user(sess, "clerk@demo.test")
    sess.commit()
    login(client, clerk)
    page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    assert "Ghi nhận đánh giá của người nộp hồ sơ" in page
    response = post_action(client, d, "rate", rating="3", comment="Phải chờ lâu.")
    assert response.status_code == 303
    sess.expire_all()
    assert (d.rating, d.rating_comment) == (3, "Phải chờ lâu.")
    event = rate_event(d)[-1]
    assert event.data == {"rating": 3, "by": "clerk"} and event.actor_id == clerk.id
    page = client.get(f"/staff/dossiers/{d.code}").get_data(as_text=True)
    assert "Bình thường (3/5)" in page
    assert f"do {clerk.full_name} ghi nhận tại bộ phận một cửa" in page
    assert 'id="act-rate"' not in page  # rated once: no form any more
    second = post_action(client, d, "rate", rating="5")
    assert second.status_code == 409
    sess.expire_all()
    assert d.rating == 3


def test_the_clerks_comment_is_limited_too(client, sess):
    d = create_dossier(sess, status=S.RETURNED, code=MARRIAGE)
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))
    response = post_action(client, d, "rate", rating="2", comment="x" * 1001)
    assert response.status_code == 400
    assert "Góp ý dài tối đa 1000 ký tự." in response.get_data(as_text=True)
    sess.expire_all()
    assert d.rating is None


def test_a_clerk_of_another_office_cannot_rate(client, sess):
    d = create_dossier(sess, status=S.RETURNED, code=MARRIAGE)
    other = staff(sess, "clerk")
    sess.commit()
    login(client, other)
    assert post_action(client, d, "rate", token="x", rating="5").status_code in (400, 404)
    sess.expire_all()
    assert d.rating is None


def test_the_resident_sees_a_rating_the_clerk_recorded(app, client, sess):
    d = create_dossier(sess, status=S.RETURNED, code=MARRIAGE)
    sess.commit()
    login(client, user(sess, "clerk@demo.test"))
    assert post_action(client, d, "rate", rating="5").status_code == 303
    page = resident(app, sess).get(f"/my/dossiers/{d.public_id}")
    assert page.by_id("rate") is None
    assert "Đánh giá của ông/bà: Rất hài lòng." in page.text()
