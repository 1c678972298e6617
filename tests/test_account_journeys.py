"""An unconfirmed phone is a claim, not an account; `next` survives login, registration and
confirmation (issue 8, items 4 and 5)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update

from district_portal.models import User
from district_portal.models.types import utcnow
from tests.test_accounts import (
    PASSWORD,
    client_request,
    last_sms,
    login,
    page_text,
    register,
    sms_code,
)

PHONE = "+84912345678"
BIRTH = "1.001193"


def logout(client):
    client_request(client, "/account/logout", page="/")


def accounts_named(store, name) -> list[User]:
    return list(store.scalars(select(User).where(User.full_name == name)))


def test_a_second_registration_with_an_unconfirmed_phone_takes_it_over_once_confirmed(
        app, store):
    squatter, owner = app.test_client(), app.test_client()
    register(squatter, full_name="Người Giữ Chỗ")
    logout(squatter)
    register(owner, full_name="Chủ Số Thật", password="ruong-ngo-2027",
             confirm="ruong-ngo-2027")
    client_request(owner, "/account/verify-phone", {"code": sms_code(store)})
    store.expire_all()
    (real,) = accounts_named(store, "Chủ Số Thật")
    (other,) = accounts_named(store, "Người Giữ Chỗ")
    assert real.phone == PHONE and real.phone_verified_at is not None
    assert other.phone is None  # the earlier claim lapsed
    response = login(app.test_client(), "0912 345 678", PASSWORD, expect=200)
    assert "không đúng" in page_text(response)
    login(app.test_client(), "0912 345 678", "ruong-ngo-2027")


def test_a_confirmed_phone_cannot_be_claimed_again_and_the_answer_does_not_say_so(app, store):
    first = app.test_client()
    register(first)
    client_request(first, "/account/verify-phone", {"code": sms_code(store)})
    second = app.test_client()
    response = register(second, full_name="Trần Thị Bình")  # answered as for a free number
    assert response.headers["Location"].endswith("/account/verify-phone")
    notice = last_sms(store, PHONE)
    assert "da co tai khoan" in notice and not re.search(r"\b\d{6}\b", notice)
    page = page_text(client_request(second, "/account/verify-phone", {"code": "123456"},
                                    expect=200))
    assert "Mã không đúng" in page
    (owner,) = accounts_named(store, "Nguyễn Văn An")
    (claim,) = accounts_named(store, "Trần Thị Bình")
    assert owner.phone_verified_at is not None and claim.phone_verified_at is None


def test_an_unconfirmed_claim_lapses_after_a_day(app, store):
    client = app.test_client()
    register(client)
    logout(client)
    store.execute(update(User).where(User.phone == PHONE)
                  .values(created_at=utcnow() - timedelta(hours=25)))
    store.commit()
    response = login(client, "0912 345 678", expect=200)
    assert "không đúng" in page_text(response)


def test_a_resident_who_pressed_apply_comes_back_to_the_procedure_after_registering(app,
                                                                                     store):
    client = app.test_client()
    procedure_page = client.get(f"/procedures/{BIRTH}").get_data(as_text=True)
    link = re.search(r'href="(/account/login\?next=[^"]+)">Nộp hồ sơ trực tuyến', procedure_page)
    login_url = urlsplit(html.unescape(link.group(1)))
    assert login_url.path == "/account/login"
    next_path = parse_qs(login_url.query)["next"][0]
    assert next_path == f"/procedures/{BIRTH}"
    login_page = page_text(client.get(html.unescape(link.group(1))))
    assert f'href="/account/register?next=/procedures/{BIRTH}"' in login_page
    response = client_request(
        client, "/account/register",
        {"full_name": "Nguyễn Văn An", "phone": "0912 345 678", "email": "",
         "password": PASSWORD, "confirm": PASSWORD, "consent": "y", "next": next_path},
        page=f"/account/register?next={next_path}")
    confirm_url = response.headers["Location"]
    assert urlsplit(confirm_url).path == "/account/verify-phone"
    assert parse_qs(urlsplit(confirm_url).query)["next"] == [next_path]
    response = client_request(client, "/account/verify-phone",
                              {"code": sms_code(store), "next": next_path}, page=confirm_url)
    assert response.headers["Location"].endswith(f"/procedures/{BIRTH}")


def test_next_survives_a_login_with_an_unconfirmed_phone(app, store):
    client = app.test_client()
    register(client)
    logout(client)
    response = login(client, "0912 345 678", next=f"/procedures/{BIRTH}")
    assert urlsplit(response.headers["Location"]).path == "/account/verify-phone"
    confirm_url = response.headers["Location"]
    response = client_request(client, "/account/verify-phone",
                              {"code": sms_code(store), "next": f"/procedures/{BIRTH}"},
                              page=confirm_url)
    assert response.headers["Location"].endswith(f"/procedures/{BIRTH}")


def test_next_never_leaves_the_site(app, store):
    client = app.test_client()
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = page_text(client.get("/account/register", query_string={"next": target}))
        assert "evil.example" not in page
        response = client_request(
            client, "/account/register",
            {"full_name": "Nguyễn Văn An", "phone": "", "email": f"an{len(target)}@example.vn",
             "password": PASSWORD, "confirm": PASSWORD, "consent": "y", "next": target},
            page="/account/register")
        assert response.headers["Location"].endswith("/account/")
        logout(client)
