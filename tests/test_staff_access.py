"""Every staff URL refuses residents, anonymous users and clerks of another office."""

from __future__ import annotations

import pytest

from district_portal.services.dossiers import filing
from tests.factories import OFFICE, create_filed_dossier, procedure, staff, user
from tests.helpers import login


@pytest.fixture
def setup(sess, client):
    d = create_filed_dossier(sess)
    clerk = user(sess, "clerk@demo.test")
    draft = filing.start_counter_draft(sess, clerk, procedure(sess))
    sess.commit()
    file_id = d.attachments[0].public_id
    code = d.code
    gets = ["/staff/", "/staff/inbox", "/staff/worklist", "/staff/counter", "/staff/calendar",
            f"/staff/dossiers/{code}", f"/staff/dossiers/{code}/files/{file_id}",
            f"/staff/counter/{draft.public_id}/edit",
            f"/staff/counter/{draft.public_id}/documents",
            f"/staff/counter/{draft.public_id}/review"]
    posts = [f"/staff/dossiers/{code}/accept", f"/staff/counter/{draft.public_id}/submit",
             f"/staff/counter/{draft.public_id}/documents/xac_nhan_hon_nhan"]
    return d, draft, gets, posts


def test_anonymous_users_are_sent_to_log_in_from_every_staff_url(setup, client):
    _d, _draft, gets, posts = setup
    client.application.config["WTF_CSRF_ENABLED"] = False
    try:
        for url in gets + posts:
            response = client.post(url) if url in posts else client.get(url)
            assert response.status_code == 302, url
            assert "/account/login" in response.headers["Location"], url
    finally:
        client.application.config["WTF_CSRF_ENABLED"] = True


def test_residents_get_not_found_on_every_staff_url(setup, client, sess):
    _d, _draft, gets, posts = setup
    login(client, user(sess, "resident@demo.test"))
    for url in gets:
        assert client.get(url).status_code == 404, url
    client.application.config["WTF_CSRF_ENABLED"] = False
    try:
        for url in posts:
            assert client.post(url).status_code == 404, url
    finally:
        client.application.config["WTF_CSRF_ENABLED"] = True


def test_clerk_of_another_commune_cannot_open_the_dossier_or_act_on_it(setup, client, sess):
    d, _draft, gets, posts = setup
    other = staff(sess, "clerk")
    sess.commit()
    login(client, other)
    assert client.get("/staff/inbox").status_code == 200
    assert d.code not in client.get("/staff/inbox?tab=all").get_data(as_text=True)
    client.application.config["WTF_CSRF_ENABLED"] = False
    try:
        for url in gets[5:] + posts[:3]:
            response = client.post(url, data={"accept-version": d.version}) \
                if url in posts else client.get(url)
            assert response.status_code == 404, url
    finally:
        client.application.config["WTF_CSRF_ENABLED"] = True
    sess.refresh(d)
    assert d.status == "submitted"


def test_only_admins_open_the_calendar_and_only_clerks_take_counter_dossiers(client, sess):
    officer = user(sess, "officer@demo.test")
    login(client, officer)
    assert client.get("/staff/inbox").status_code == 200
    assert client.get("/staff/calendar").status_code == 404
    assert client.get("/staff/counter").status_code == 404
    admin_client = client.application.test_client()
    login(admin_client, user(sess, "admin@demo.test"))
    # The old page sends admins on to the admin console's year view (issue 13).
    assert admin_client.get("/staff/calendar").status_code == 301
    assert admin_client.get("/admin/calendar/").status_code == 200


def test_province_staff_may_read_the_dossiers_of_communes_below(client, sess):
    d = create_filed_dossier(sess)
    province_clerk = staff(sess, "leader", office="000.00.00.T25")
    sess.commit()
    login(client, province_clerk)
    assert client.get(f"/staff/dossiers/{d.code}").status_code == 200
    assert d.code in client.get("/staff/inbox?tab=all").get_data(as_text=True)
    assert OFFICE in d.code
