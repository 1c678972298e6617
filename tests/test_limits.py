"""Abuse limits that only show with the rate limiter on."""

from __future__ import annotations

import pytest


@pytest.fixture
def limited_app(fresh_app):
    """An app with rate limits on. The memory storage is shared by every app of the process,
    so it is emptied afterwards."""
    from district_portal.extensions import limiter

    app = fresh_app(RATE_LIMITS_ON=True)
    yield app
    limiter.reset()


def test_tracking_is_rate_limited_per_address(limited_app):
    app = limited_app
    client = app.test_client()
    statuses = [client.post("/track", data={"lookup": "AB12-CD3E",  # no token: no cookie
                                            "phone": "0912345678"}).status_code
                for _ in range(31)]
    assert set(statuses[:30]) <= {400, 404}
    assert statuses[30] == 429
    limited = client.post("/track", data={"lookup": "x", "phone": "y"})
    assert "Thử quá nhiều lần" in limited.get_data(as_text=True)


def test_an_app_without_limits_is_not_limited_even_beside_one_with_limits(limited_app,
                                                                           fresh_app):
    quiet = fresh_app()
    client = quiet.test_client()
    statuses = {client.post("/track", data={"lookup": "AB12-CD3E",
                                            "phone": "0912345678"}).status_code
                for _ in range(40)}
    assert 429 not in statuses


def test_behind_one_proxy_the_forwarded_scheme_and_client_address_are_trusted(fresh_app):
    from flask import request

    app = fresh_app(PROXY_COUNT=1)
    app.add_url_rule("/_seen", "seen", lambda: f"{request.scheme} {request.remote_addr}")
    seen = app.test_client().get("/_seen", headers={"X-Forwarded-Proto": "https",
                                                    "X-Forwarded-For": "203.0.113.7"})
    assert seen.get_data(as_text=True) == "https 203.0.113.7"


def test_without_a_proxy_forwarded_headers_are_ignored(fresh_app):
    from flask import request

    app = fresh_app()
    app.add_url_rule("/_seen", "seen", lambda: f"{request.scheme} {request.remote_addr}")
    seen = app.test_client().get("/_seen", headers={"X-Forwarded-Proto": "https",
                                                    "X-Forwarded-For": "203.0.113.7"})
    assert seen.get_data(as_text=True) == "http 127.0.0.1"


def test_behind_a_proxy_a_forwarded_host_is_not_believed(fresh_app):
    """nginx passes the real Host; an X-Forwarded-Host from the client must not change the
    host the portal believes it serves (links, the origin check of the /track form)."""
    from flask import request

    app = fresh_app(PROXY_COUNT=1)
    app.add_url_rule("/_host", "host", lambda: request.host)
    seen = app.test_client().get("/_host", headers={"Host": "dichvucong.example.vn",
                                                    "X-Forwarded-Host": "evil.example"})
    assert seen.get_data(as_text=True) == "dichvucong.example.vn"
