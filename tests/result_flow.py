"""Helpers shared by the result, verification and slip route tests: logging in, CSRF tokens,
PDF text, and a dossier taken through accept → prepare → issue over HTTP."""

from __future__ import annotations

import hashlib
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from district_portal.models import User
from district_portal.services.accounts.users import create_user
from district_portal.services.dossiers.workflow import Action, perform
from tests.factories import create_dossier

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OTHER_OFFICE = "000.00.05.T25"


def login(client, user):
    with client.session_transaction() as s:
        s["_user_id"] = user.get_id()
        s["_fresh"] = True


def csrf_token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def staff(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def other_clerk(session) -> User:
    """A clerk of another commune, who must not see the demo office's dossiers."""
    return create_user(session, email="clerk05@demo.test", password="x" * 14,
                       roles=["clerk"], full_name="Cán Bộ Xã Khác", office_code=OTHER_OFFICE)


def other_resident(session) -> User:
    return create_user(session, email="other@demo.test", password="x" * 14,
                       roles=["citizen"], full_name="Người Khác")


def accepted_dossier(session, **overrides):
    """A dossier of resident@demo.test, accepted by the clerk through the workflow."""
    resident = staff(session, "resident@demo.test")
    d = create_dossier(session, applicant_user_id=resident.id, **overrides)
    perform(session, d, Action.ACCEPT, staff(session, "clerk@demo.test"))
    session.commit()
    return d


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
    officer, leader = staff(session, "officer@demo.test"), staff(session, "leader@demo.test")
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
