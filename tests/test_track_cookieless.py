"""/track and the tracking form on the home page set no cookie (the home page is cached for
every visitor; issue #12), so they carry no CSRF token: a cross-site POST is refused by its
Fetch Metadata, Origin or Referer instead (access.same_site_form; issues #8.1 and #11)."""

from __future__ import annotations

import pytest

from district_portal import access
from tests.factories import create_filed_dossier
from tests.helpers import ClientRequest

PHONE = "0912 345 678"


def _session_cookies(response, app) -> list[str]:
    name = app.config["SESSION_COOKIE_NAME"]
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]


def test_the_home_page_has_a_tracking_form_that_posts_to_track(app, client):
    page = ClientRequest(client).get("/")
    form = page.find(".//form[@action='/track']")
    assert form is not None and form.get("method") == "post"
    names = {i.get("name") for i in form.iter("input")}
    assert names == {"lookup", "phone"}  # no token: the page is the same for everyone
    assert "Tra cứu hồ sơ" in page.html


@pytest.mark.parametrize("path", ["/", "/track"])
def test_tracking_pages_set_no_session_cookie(app, client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert _session_cookies(response, app) == []
    assert "csrf_token" not in response.get_data(as_text=True)


def test_a_look_up_from_the_home_page_finds_the_dossier_and_sets_no_cookie(app, client,
                                                                           sess):
    d = create_filed_dossier(sess)
    sess.commit()
    response = client.post("/track", data={"lookup": d.code, "phone": PHONE},
                           headers={"Origin": "http://localhost", "Sec-Fetch-Site":
                                    "same-origin", "Referer": "http://localhost/"})
    assert response.status_code == 200
    assert d.code in response.get_data(as_text=True)
    assert _session_cookies(response, app) == []


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # another subdomain is not us
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Referer": "https://evil.example/page"},
    {"Origin": "https://localhost"},  # another scheme
])
def test_a_cross_site_look_up_is_refused(app, client, sess, headers):
    d = create_filed_dossier(sess)
    sess.commit()
    response = client.post("/track", data={"lookup": d.code, "phone": PHONE},
                           headers=headers)
    assert response.status_code == 403
    assert d.code not in response.get_data(as_text=True)


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, True),  # an old browser sends none of them
    ({"Sec-Fetch-Site": "same-origin"}, True),
    ({"Sec-Fetch-Site": "none"}, True),  # typed or bookmarked
    ({"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}, True),  # metadata wins
    ({"Origin": "https://portal.example"}, True),
    ({"Referer": "https://portal.example/track"}, True),
    ({"Origin": "https://portal.example:8443"}, False),
    ({"Referer": "http://portal.example/track"}, False),
])
def test_the_origin_rule(headers, expected):
    assert access.same_site_form(headers, "https://portal.example/") is expected


def test_the_examples_in_the_tracking_message_are_real_codes(app, client):
    """Someone who types the example the message gives must not be told it is no code."""
    import re

    from district_portal import codes

    page = client.post("/track", data={"lookup": "xyz", "phone": PHONE}).get_data(as_text=True)
    example = re.search(r"mã tra cứu \(như ([A-Z0-9]{4}-[A-Z0-9]{4})\)", page).group(1)
    assert codes.is_valid_ref(example.replace("-", ""))
