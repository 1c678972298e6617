"""Every page a visitor, a resident and each staff role can reach by following links passes the
checks of the request helper (a title, unique ids, no English left on a Vietnamese page)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from district_portal.models import DossierStatus as S
from tests.factories import create_dossier, create_filed_dossier, user
from tests.helpers import ClientRequest, Page, login

START = {None: ["/", "/track", "/verify", "/account/login", "/account/register"],
         "resident@demo.test": ["/", "/my/dossiers", "/account"],
         "clerk@demo.test": ["/staff", "/staff/counter", "/staff/worklist"],
         "officer@demo.test": ["/staff"],
         "leader@demo.test": ["/staff"],
         "admin@demo.test": ["/staff", "/admin/", "/admin/calendar/", "/admin/audit/"],
         "admin.tinh@demo.test": ["/admin/", "/admin/catalogue/", "/staff/api-keys/"]}
# Links that change state, switch language or download files are not pages to check.
SKIP = ("/account/logout", "/language/", ".pdf", "/files/", "/static/", "/result/download")
MAX_PAGES = 40  # per account: enough to reach every kind of page, bounded in time


def _links(page: Page) -> list[str]:
    out = []
    for a in page.findall(".//a"):
        href = a.get("href") or ""
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if any(s in parts.path for s in SKIP):
            continue
        out.append(parts.path)  # one page per path: query variants render the same template
    return out


def _crawl(rc: ClientRequest, start: list[str]) -> list[str]:
    seen, todo = [], list(start)
    while todo and len(seen) < MAX_PAGES:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.append(url)
        response = rc.client.get(url)
        if response.status_code in (301, 302, 303, 307, 308):
            todo.insert(0, urlsplit(response.headers["Location"]).path)
            continue
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = Page(response)
        page.check()
        todo += [u for u in _links(page) if u not in seen]
    return seen


@pytest.mark.parametrize("email", list(START), ids=lambda e: (e or "visitor").split("@")[0])
def test_every_page_reachable_by_links_has_a_title_unique_ids_and_no_english(app, sess,
                                                                            email):
    resident = user(sess, "resident@demo.test")
    for status in (S.SUBMITTED, S.IN_PROGRESS, S.SUPPLEMENT_REQUESTED, S.DONE):
        create_filed_dossier(sess, status=status)
    create_dossier(sess, status=S.ACCEPTED, applicant_user_id=resident.id)
    sess.commit()
    client = app.test_client()
    if email:
        login(client, user(sess, email))
    visited = _crawl(ClientRequest(client), START[email])
    assert len(visited) > len(START[email]) + 3, visited


def _page(body: str, lang: str = "vi") -> Page:
    from flask import Response

    return Page(Response(f'<!doctype html><html lang="{lang}"><head>{body}', 200,
                         mimetype="text/html"))


def test_the_page_checks_catch_a_missing_title_duplicate_ids_and_english_on_a_vietnamese_page():
    good = "<title>Thủ tục – Cổng dịch vụ công</title></head><body><p id='a'>Tìm thủ tục</p>"
    _page(good).check()
    bad = {"<title> </title></head><body>": "no <title>",
           good + "<p id='a'>x</p>": "duplicate ids",
           good + "<button>Log in</button>": "English left",
           good + "<input placeholder='e.g. birth registration'>": "English left"}
    for body, reason in bad.items():
        with pytest.raises(AssertionError, match=reason):
            _page(body).check()
    _page(good + "<button>Log in</button>", lang="en").check()  # English pages may be English
