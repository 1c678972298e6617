"""Test helpers on the HTTP side: parsed pages checked like GOV.UK Notify's client_request
(a title, unique ids, nothing left in English on a Vietnamese page), a `ClientRequest` that
posts with the CSRF token and follows the expected redirect, logging a user in, the resident's
filing steps, and the result and PDF helpers. Database factories are in tests/factories.py."""

from __future__ import annotations

import copy
import functools
import gzip
import hashlib
import io
import json
import re
import socket
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pyotp
import tinyhtml5
from babel.messages.pofile import read_po
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import object_session

from district_portal.config import ROOT
from district_portal.db import get_db
from district_portal.models import Dossier, User
from district_portal.models.types import utcnow
from district_portal.services.accounts.sessions import start_session
from district_portal.services.catalog.importer import demo_catalog_path, import_catalog
from tests.factories import BIRTH, OFFICE, accepted_dossier, pdf_bytes, user

XHTML = "{http://www.w3.org/1999/xhtml}"

# Phú Thọ (province 25) and one of its wards; Hà Nội (province 1) and one of its wards.
PROVINCE = "25"
COMMUNE = "4795"  # Phường Hòa Bình
OTHER_PROVINCE = "1"
OTHER_COMMUNE = "70"  # Phường Hoàn Kiếm, Hà Nội
TEST_PROC = "9.999001"  # every field type, one office (imported by `all_types_procedure`)


class Page:
    """A response with its HTML parsed (tag names without the XHTML namespace)."""

    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        self.doc = tinyhtml5.parse(self.html)
        for el in self.doc.iter():
            if isinstance(el.tag, str) and el.tag.startswith(XHTML):
                el.tag = el.tag[len(XHTML):]

    def find(self, path: str):
        return self.doc.find(path)

    def findall(self, path: str):
        return self.doc.findall(path)

    def by_id(self, ident: str):
        return self.doc.find(f".//*[@id='{ident}']")

    def text(self, el=None) -> str:
        el = self.doc if el is None else el
        return " ".join("".join(el.itertext()).split())

    def value(self, name: str) -> str | None:
        """What the form shows for input/textarea/select `name` (None: no such control)."""
        for el in self.doc.iter():
            if el.get("name") != name:
                continue
            if el.tag == "textarea":
                return el.text or ""
            if el.tag == "select":
                chosen = [o for o in el.iter("option") if o.get("selected") is not None]
                return chosen[0].get("value") if chosen else ""
            if el.get("type") in ("radio", "checkbox"):
                if el.get("checked") is not None:
                    return el.get("value")
                continue
            return el.get("value") or ""
        return "" if self.doc.find(f".//*[@name='{name}']") is not None else None

    def csrf_token(self) -> str:
        el = self.doc.find(".//input[@name='csrf_token']")
        assert el is not None, "no csrf_token on the page"
        return el.get("value")

    def error_links(self) -> list[str]:
        box = self.by_id("errors")
        if box is None:
            box = self.doc.find(".//*[@class='errors']")
        return [a.get("href") for a in box.iter("a")] if box is not None else []

    def gzip_size(self) -> int:
        return len(gzip.compress(self.html.encode("utf-8")))

    def check(self) -> None:
        """What every HTML page must get right (GOV.UK Notify's client_request checks): a
        non-empty <title>, ids that are unique, and on a Vietnamese page no English UI string
        from the catalogue (a template string that escaped gettext or lacks a translation)."""
        if not self.response.mimetype == "text/html" or 300 <= self.status < 400:
            return
        title = self.find(".//title")
        assert title is not None and (title.text or "").strip(), ("no <title>", self.url)
        ids = Counter(el.get("id") for el in self.doc.iter() if el.get("id") is not None)
        assert [i for i, n in ids.items() if n > 1] == [], ("duplicate ids", self.url)
        html = self.find(".")
        if (html.get("lang") or "vi").startswith("vi"):
            assert self.untranslated() == [], ("English left on a Vietnamese page", self.url)

    @property
    def url(self) -> str:
        request = getattr(self.response, "request", None)
        return request.full_path if request is not None else "?"

    def untranslated(self) -> list[str]:
        """Visible texts (and labels in attributes) that are an English msgid of the catalogue
        whose Vietnamese differs."""
        exact, inside = _english_patterns()
        found = []
        for el in self.doc.iter():
            if not isinstance(el.tag, str):
                continue
            texts = [el.tail, *(el.get(a) for a in _LABEL_ATTRIBUTES)]
            if el.tag not in ("script", "style"):
                texts.append(el.text)
            if el.tag == "input" and el.get("type") in ("submit", "button"):
                texts.append(el.get("value"))
            for raw in texts:
                text = " ".join((raw or "").split())
                if text and (exact.fullmatch(text) or inside.search(text)):
                    found.append(text)
        return found


_LABEL_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


# The one inline script a page may carry: the second page's stylesheet fetch (assets.py), a
# constant with no '<' in it.
STYLESHEET_FETCH = re.compile(
    r'<script>addEventListener\("load",function\(\)\{setTimeout\(function\(\)\{'
    r'var x=new XMLHttpRequest;x\.open\("GET","/assets/app\.[0-9a-f]{12}\.css"\);[^<]*</script>')


def page_scripts(elements) -> list:
    """Of a parsed page's <script> elements, those other than the stylesheet fetch."""
    return [e for e in elements if not STYLESHEET_FETCH.fullmatch(
        f"<script>{e.text or ''}</script>")]


def scripts(body: str | bytes) -> list[str]:
    """The page's script tags but the stylesheet fetch: a page that needs no script has none."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return re.findall(r"<script\b[^>]*>", STYLESHEET_FETCH.sub("", body), re.I)


def run_together(target, jobs, timeout: float) -> None:
    """One thread per job (its arguments to `target`), all started, then all waited for: the
    races of the concurrency tests (`target` meets the others at a barrier and records what
    happened, exceptions included)."""
    threads = [threading.Thread(target=target, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)


def client_as(app, session, email: str):
    """A test client logged in as the account with this e-mail."""
    client = app.test_client()
    login(client, user(session, email))
    return client


def _pattern(msgid: str) -> str:
    """A msgid as a regular expression: placeholders match any text."""
    return ".+?".join(re.escape(part) for part in _PLACEHOLDER.split(" ".join(msgid.split())))


@functools.cache
def _english_patterns() -> tuple[re.Pattern, re.Pattern]:
    """(a whole text equal to an English msgid, a text containing a sentence-long msgid)."""
    path = ROOT / "district_portal/translations/vi/LC_MESSAGES/messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    exact, sentences = [], []
    for msg in catalog:
        ids = [msg.id] if isinstance(msg.id, str) else list(msg.id or ())
        strings = [msg.string] if isinstance(msg.string, str) else list(msg.string or ())
        for msgid in ids:
            words = _PLACEHOLDER.sub("", msgid or "")
            if not msgid or msgid in strings or not re.search("[A-Za-z]{2}", words):
                continue
            exact.append(_pattern(msgid))
            if len(msgid.split()) >= 4:
                sentences.append(r"(?<!\w)" + _pattern(msgid) + r"(?!\w)")
    by_length = functools.partial(sorted, key=len, reverse=True)
    return (re.compile("|".join(by_length(exact))),
            re.compile("|".join(by_length(sentences)) or "(?!)"))


class ClientRequest:
    """GET a page, take its CSRF token, POST, check the status and follow the redirect."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, expected_status: int = 200) -> Page:
        page = Page(self.client.get(url))
        assert page.status == expected_status, (url, page.status, page.html[:2000])
        page.check()
        return page

    def token(self, form_page: str = "/account/login") -> str:
        """A CSRF token of this client's session: from `form_page`, else from a page that
        always has one (/track and the public pages set no cookie, so they carry none)."""
        for url in (form_page, "/account/login", "/account/password"):
            response = self.client.get(url)
            match = CSRF.search(response.get_data(as_text=True))
            if response.status_code == 200 and match:
                return match.group(1)
        raise AssertionError(f"no CSRF token on {form_page} nor on the account pages")

    def post(self, url: str, data: dict | None = None, *, form_page: str = "/account/login",
             expected_status: int | None = None, expected_redirect: str | None = None,
             files: dict | None = None) -> Page:
        """POST `data` (plus the CSRF token from `form_page`). With `expected_redirect`
        (a path, matched as a prefix without the fragment) the redirect is followed and the
        page it leads to is returned; otherwise the response must have `expected_status`."""
        payload = {"csrf_token": self.token(form_page), **(data or {})}
        for key, (content, name) in (files or {}).items():
            payload[key] = (io.BytesIO(content), name)
        response = self.client.post(url, data=payload, follow_redirects=False,
                                    content_type="multipart/form-data" if files else None)
        if expected_redirect is not None:
            assert response.status_code in (302, 303), (response.status_code,
                                                         response.get_data(as_text=True)[:3000])
            location = response.headers["Location"]
            path = urlsplit(location)
            target = path.path + (f"?{path.query}" if path.query else "")
            assert target.startswith(expected_redirect), (target, expected_redirect)
            return self.get(target)
        page = Page(response)
        if expected_status is not None:
            assert page.status == expected_status, (url, page.status, page.html[:3000])
        page.check()
        return page


def login(client, account: User) -> None:
    """Log `account` in on this test client, as after the login form (and, for staff, the
    two-factor step): a server-side session row, committed on the account's own database
    session (a savepoint in the rolled-back tests), and the cookie that names it."""
    store = object_session(account) or get_db(client.application).writer()
    sid = start_session(store, account)
    store.commit()
    with client.session_transaction() as s:
        s["_user_id"] = account.get_id()
        s["_fresh"] = True
        s["_sid"] = sid
        s["staff_seen"] = int(time.time())


DEMO_PASSWORD = "demo-portal-2026"


def form_login(client, login_name: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form, as a browser does; staff also pass the two-factor
    step with a code from their secret (the test database enrols the demo staff)."""
    response = client.post("/account/login", data={
        "csrf_token": csrf_token(client, "/account/login"), "login": login_name,
        "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    if urlsplit(response.headers["Location"]).path != "/account/two-factor/":
        return
    with get_db(client.application).writer() as store:
        account = store.scalar(select(User).where(User.email == login_name))
        code = totp_code(account.totp_secret, after_step=account.totp_last_step)
    response = client.post("/account/two-factor/", data={
        "csrf_token": csrf_token(client, "/account/two-factor/"), "code": code})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


# The demo staff of the test database are enrolled in two-factor login with this secret
# (tests/conftest.py `seed`), so tests and browser_as can compute their codes.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str, after_step: int = 0) -> str:
    """A code the portal accepts now: the current 30-second step's, or the next step's if the
    current one was already used (the portal accepts one step of clock drift each way)."""
    now = int(time.time()) // 30
    step = max(now, after_step + 1)
    assert step <= now + 1, "two logins of one account in one 30-second step"
    return pyotp.TOTP(secret).at(step * 30)


def pass_two_factor_in_browser(page) -> None:
    """After the password in a Playwright page: staff get the two-factor page; enter the
    demo staff's code there. Residents go straight on."""
    page.wait_for_url(lambda url: url.endswith("/account/") or "/two-factor/" in url)
    if "/account/two-factor/" in page.url:
        page.fill("#code", totp_code(DEMO_TOTP_SECRET))
        page.click("button.primary")


def enrol_demo_staff(session) -> None:
    """Give every seeded staff account the known two-factor secret."""
    for account in session.scalars(select(User)):
        if account.is_staff:
            account.totp_secret = DEMO_TOTP_SECRET
            account.totp_enabled_at = utcnow()
            account.totp_last_step = 0
    session.flush()


user_by_email = user  # the filing tests' name for tests.factories.user

# A form's token: `csrf_token`, or `<prefix>-csrf_token` on pages with several forms.
CSRF = re.compile(r'name="(?:[\w-]*-)?csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The first CSRF token on the page at `url`."""
    page = client.get(url).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_action(client, dossier: Dossier, action: str, version: int | None = None,
                token: str | None = None, **fields):
    """POST one action form of the staff dossier page with its CSRF token and version."""
    url = f"/staff/dossiers/{dossier.code}"
    token = token or csrf_token(client, url)
    data = {f"{action}-csrf_token": token,
            f"{action}-version": str(dossier.version if version is None else version)}
    data.update({f"{action}-{k}": v for k, v in fields.items()})
    return client.post(f"{url}/{action}", data=data)


def dossier_of(session, public_id: str) -> Dossier:
    session.expire_all()
    return session.scalar(select(Dossier).where(Dossier.public_id == public_id))


def public_id_from(page: Page) -> str:
    """The dossier's public id from a page under /my/dossiers/<id>/…"""
    form = page.find(".//form[@id='form']")
    action = form.get("action") if form is not None else page.response.request.path
    return action.split("/my/dossiers/")[1].split("/")[0]


def demo_procedure(code: str) -> dict:
    doc = json.loads(demo_catalog_path().read_text("utf-8"))
    return copy.deepcopy(next(p for p in doc["procedures"] if p["code"] == code))


def import_procedure(session, entry: dict, fmt: str = "district-portal-catalog/2") -> None:
    import_catalog(session, {"format": fmt, "procedures": [entry]}, reason="test")
    session.commit()


def all_types_entry() -> dict:
    """A test procedure with every field type, one receiving office, two documents."""
    entry = demo_procedure(BIRTH)
    entry.update(code=TEST_PROC, name="Thủ tục thử mọi loại ô", offices=[OFFICE], fee=0)
    entry["result"].pop("verify_fields")  # they name the birth registration's fields
    entry.pop("applicants", None)  # a person or an organisation may file it
    entry["documents"] = [
        {"key": "ban_chinh", "name": "Bản chụp giấy tờ chính", "originals": 0, "copies": 1,
         "mandatory": True},
        {"key": "phu_luc", "name": "Phụ lục (nếu có)", "originals": 0, "copies": 1,
         "mandatory": False},
    ]
    entry["fields"] = [
        {"key": "t_text", "label": "Họ và tên người liên quan", "type": "text",
         "required": True, "max_length": 20},
        {"key": "t_area", "label": "Nội dung đề nghị", "type": "textarea", "required": True,
         "max_length": 50},
        {"key": "t_number", "label": "Số bản", "type": "number", "required": True, "min": 1,
         "max": 10},
        {"key": "t_date", "label": "Ngày cấp", "type": "date", "required": True},
        {"key": "t_select", "label": "Loại giấy", "type": "select", "required": True,
         "options": [{"value": "a", "label": "Loại A"}, {"value": "b", "label": "Loại B"}]},
        {"key": "t_radio", "label": "Hình thức nhận", "type": "radio", "required": True,
         "options": [{"value": "buu_dien", "label": "Qua bưu điện"},
                     {"value": "truc_tiep", "label": "Tại bộ phận một cửa"}]},
        {"key": "t_check", "label": "Có người ủy quyền", "type": "checkbox"},
        {"key": "t_proxy", "label": "Họ tên người được ủy quyền", "type": "text",
         "required": True, "max_length": 100,
         "visible_if": {"field": "t_check", "equals": True}},
        {"key": "t_email", "label": "Thư điện tử liên hệ", "type": "email", "required": True},
        {"key": "t_phone", "label": "Điện thoại liên hệ", "type": "phone", "required": True},
        {"key": "t_id", "label": "Số định danh người liên quan", "type": "id_number",
         "required": True},
        {"key": "t_commune", "label": "Xã nơi cư trú", "type": "commune", "required": True},
    ]
    return entry


def applicant_answers(**overrides) -> dict:
    data = {
        "applicant_type": "person",
        "applicant_name": "Hoàng Thị Dân",
        "applicant_id_number": "025190000123",
        "applicant_phone": "0912 345 678",
        "applicant_email": "dan@example.com",
        "applicant_commune.province": PROVINCE,
        "applicant_commune": COMMUNE,
        "applicant_street": "Số 5, tổ 3",
    }
    data.update(overrides)
    return data


def all_types_answers(**overrides) -> dict:
    data = applicant_answers()
    data.update({
        "t_text": "Nguyễn Văn A",
        "t_area": "Cấp bản sao",
        "t_number": "2",
        "t_date": "2026-03-15",
        "t_select": "a",
        "t_radio": "buu_dien",
        "t_email": "a@example.com",
        "t_phone": "0987 654 321",
        "t_id": "025190000999",
        "t_commune.province": PROVINCE,
        "t_commune": COMMUNE,
    })
    data.update(overrides)
    return data


def birth_answers(**overrides) -> dict:
    data = applicant_answers(applicant_office=OFFICE)
    data.update({
        "relation_to_child": "me",
        "child_name": "Nguyễn Văn Bé",
        "child_birth_date": "2026-11-20",
        "child_sex": "nam",
        "child_birth_place": "Bệnh viện đa khoa tỉnh Phú Thọ",
        "child_ethnicity": "Kinh",
        "mother_name": "Hoàng Thị Dân",
        "mother_id_number": "025190000123",
        "residence_commune.province": PROVINCE,
        "residence_commune": COMMUNE,
    })
    data.update(overrides)
    return data




def png_bytes(size=(8, 8)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size=(8, 8)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (30, 30, 200)).save(out, "JPEG")
    return out.getvalue()


def start_draft(rc: ClientRequest, code: str = BIRTH) -> tuple[Page, str]:
    """POST apply from the procedure page; returns the edit page and the draft's public id."""
    page = rc.post(f"/procedures/{code}/apply", form_page=f"/procedures/{code}",
                   expected_redirect="/my/dossiers/")
    return page, public_id_from(page)


def save(rc: ClientRequest, public_id: str, data: dict, action: str = "next",
         expected_status: int | None = None, expected_redirect: str | None = None) -> Page:
    base = f"/my/dossiers/{public_id}"
    if expected_status is None and expected_redirect is None:
        expected_redirect = f"{base}/documents"
    return rc.post(f"{base}/edit", {**data, "_action": action}, form_page=f"{base}/edit",
                   expected_status=expected_status, expected_redirect=expected_redirect)


def upload(rc: ClientRequest, public_id: str, key: str, content: bytes, name: str = "a.pdf",
           expected_status: int | None = None, supplement: bool = False) -> Page:
    base = f"/my/dossiers/{public_id}"
    step = "supplement" if supplement else "documents"
    url = f"{base}/supplement/documents/{key}" if supplement else f"{base}/documents/{key}"
    return rc.post(url, form_page=f"{base}/{step}", files={key: (content, name)},
                   expected_status=expected_status,
                   expected_redirect=None if expected_status else f"{base}/{step}")


def submit(rc: ClientRequest, public_id: str, expected_redirect: str | None = None,
           expected_status: int | None = None) -> Page:
    base = f"/my/dossiers/{public_id}"
    review = rc.get(f"{base}/review")
    nonce = review.find(".//input[@name='nonce']")
    data = {"nonce": nonce.get("value") if nonce is not None else "n-" + public_id}
    if expected_status is None and expected_redirect is None:
        expected_redirect = f"{base}?filed=1"
    return rc.post(f"{base}/submit", data, form_page=f"{base}/review",
                   expected_redirect=expected_redirect, expected_status=expected_status)


def file_dossier(rc: ClientRequest, code: str = BIRTH, answers: dict | None = None,
                 documents: dict | None = None) -> str:
    """A submitted dossier, filed through HTTP; returns its public id."""
    _, public_id = start_draft(rc, code)
    if answers is None:
        answers = birth_answers() if code == BIRTH else all_types_answers()
    if documents is None:
        documents = {"giay_chung_sinh": pdf_bytes()} if code == BIRTH else \
            {"ban_chinh": pdf_bytes()}
    save(rc, public_id, answers)
    for key, content in documents.items():
        upload(rc, public_id, key, content)
    submit(rc, public_id)
    return public_id


def act(app, session, public_id: str, action, actor, **inputs):
    """Apply a workflow action (as staff would) and commit; returns the dossier."""
    from district_portal.services.dossiers.workflow import perform
    from tests.factories import add_prepared_result

    with app.test_request_context():
        d = dossier_of(session, public_id)
        if action == "complete" and not any(a.kind == "result" for a in d.attachments):
            add_prepared_result(session, d, session.merge(actor))
        perform(session, d, action, session.merge(actor), **inputs)
        session.commit()
    return dossier_of(session, public_id)


# --- PDFs and results -------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text of a PDF, whitespace collapsed (proves Vietnamese survived WeasyPrint)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def a_pdf(text: str = "Bản quét có chữ ký") -> bytes:
    """A real PDF made with WeasyPrint."""
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf()


def prepare(client, d, **data):
    url = f"/staff/dossiers/{d.code}/result"
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, **data},
                       content_type="multipart/form-data")


def issue(client, d, version: int | None = None):
    url = f"/staff/dossiers/{d.code}/result"
    token = csrf_token(client, url)
    return client.post(f"{url}/issue", data={"csrf_token": token,
                                             "version": version or d.version})


def issued_dossier(app, session, way: str = "rendered"):
    """Accept → prepare (officer) → issue (leader), all over HTTP; returns the dossier."""
    d = accepted_dossier(session)
    officer, leader = user(session, "officer@demo.test"), user(session, "leader@demo.test")
    client = app.test_client()
    login(client, officer)
    data = {"way": way}
    if way == "scan":
        data["scan"] = (io.BytesIO(a_pdf()), "ban-quet.pdf", "application/pdf")
    assert prepare(client, d, **data).status_code == 303
    session.expire_all()
    client = app.test_client()
    login(client, leader)
    assert issue(client, d).status_code == 303
    session.expire_all()
    return d


def free_port() -> int:
    """A free TCP port on the loopback, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
