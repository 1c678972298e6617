"""Production hardening (issue 11, item 5): HSTS on HTTPS answers, every cookie Secure, the
session cookie with the __Host- prefix, and a production config that refuses to start
without them."""

from __future__ import annotations

import re

import pytest

from district_portal import create_app
from district_portal.config import ProductionConfig
from tests.conftest import build_app
from tests.helpers import DEMO_TOTP_SECRET, totp_code

GOOD_SECRET = "3f9c1e7a5b2d8064c1f7e9a3b5d20468ace13579bdf02468" + "9e8d7c6b5a4f3e2d"
HTTPS = "https://dichvucong.example.gov.vn"


@pytest.fixture
def production(databases, tmp_path, monkeypatch):
    """The production config on a seeded database of its own."""
    monkeypatch.setenv("PORTAL_SECRET_KEY", GOOD_SECRET)
    monkeypatch.delenv("PORTAL_PAYMENT_SANDBOX", raising=False)
    config = ProductionConfig()
    config.DATABASE_URL = databases.migrated_url(seeded=True)
    config.UPLOAD_DIR = str(tmp_path / "uploads")
    config.RATE_LIMITS_ON = False
    app = build_app(config)
    yield app
    from district_portal.db import get_db

    get_db(app).engine.dispose()


def _csrf(client, url):
    html = client.get(url, base_url=HTTPS).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _referer(page: str) -> dict:
    # Flask-WTF checks the Referer of an HTTPS form post (WTF_CSRF_SSL_STRICT).
    return {"Referer": f"{HTTPS}/account/{page}"}


def test_every_cookie_of_production_is_secure_and_the_session_cookie_is_host_only(production):
    client = production.test_client()
    cookies = []
    first = client.get("/", base_url=HTTPS)  # a first visit: the stylesheet cookie
    cookies += first.headers.getlist("Set-Cookie")
    cookies += client.get("/language/en", base_url=HTTPS).headers.getlist("Set-Cookie")
    response = client.post("/account/login", base_url=HTTPS, headers=_referer("login"), data={
        "csrf_token": _csrf(client, "/account/login"), "login": "clerk@demo.test",
        "password": "demo-portal-2026"})
    cookies += response.headers.getlist("Set-Cookie")
    response = client.post("/account/two-factor/", base_url=HTTPS,
                           headers=_referer("two-factor/"), data={
        "csrf_token": _csrf(client, "/account/two-factor/"),
        "code": totp_code(DEMO_TOTP_SECRET)})
    assert response.status_code == 302
    cookies += response.headers.getlist("Set-Cookie")
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"css", "lang", "__Host-session"} <= names, names
    for cookie in cookies:
        attributes = [a.strip().lower() for a in cookie.split(";")]
        assert "secure" in attributes and "samesite=lax" in attributes, cookie
        if cookie.startswith("css="):  # the one a script writes: which stylesheet is cached
            assert attributes[0] == "css=2", cookie  # "seen", never anything personal
        else:
            assert "httponly" in attributes, cookie
    for cookie in (c for c in cookies if c.startswith("__Host-")):
        assert "path=/" in cookie.lower() and "domain=" not in cookie.lower()
    assert client.get("/staff/inbox", base_url=HTTPS).status_code == 200


def test_production_answers_carry_hsts(production):
    response = production.test_client().get("/", base_url=HTTPS)
    assert response.headers["Strict-Transport-Security"] == \
        "max-age=31536000; includeSubDomains"


def test_https_answers_carry_hsts_and_plain_http_ones_do_not_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("key, value", [
    ("SESSION_COOKIE_SECURE", False), ("REMEMBER_COOKIE_SECURE", False),
    ("SESSION_COOKIE_NAME", "session"), ("HSTS_SECONDS", 0), ("HTTPS_ONLY", False),
    ("SESSION_COOKIE_DOMAIN", "example.gov.vn"),
])
def test_production_refuses_to_start_without_https_only_cookies_and_hsts(monkeypatch, key,
                                                                         value):
    monkeypatch.setenv("PORTAL_SECRET_KEY", GOOD_SECRET)
    monkeypatch.delenv("PORTAL_PAYMENT_SANDBOX", raising=False)
    weak = type("Weak", (ProductionConfig,), {key: value})
    with pytest.raises(RuntimeError, match="HTTPS only"):
        weak()
    config = ProductionConfig()
    setattr(config, key, value)
    with pytest.raises(RuntimeError, match="HTTPS only"):
        create_app(config)
