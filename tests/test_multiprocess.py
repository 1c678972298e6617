"""A province on several servers: gunicorn workers and a second server process (waitress) on
one PostgreSQL database, one Redis and one upload folder, as docs/deploy.md describes.

Across the processes: a login made on one holds on the other, rate limits are shared, an
upload made through one is served by the other, dossier codes stay unique and gap-free under
concurrent submissions through both, and two notification senders at once send each message
once. The servers run in production mode, as real separate processes (not threads).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from sqlalchemy import select

from district_portal import codes
from district_portal.db import get_db
from district_portal.models import Dossier, DossierStatus, Notification
from district_portal.services.catalog import queries
from district_portal.services.dossiers import filing
from district_portal.text import LOCAL_TZ
from tests.factories import BIRTH
from tests.helpers import OFFICE, applicant_answers, free_port, user_by_email

ROOT = Path(__file__).resolve().parent.parent
REDIS = ("127.0.0.1", 6379)
DEMO_PASSWORD = "demo-portal-2026"

pytestmark = pytest.mark.postgresql_only


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module", autouse=True)
def _needs_redis():
    if not _redis_up():
        message = (f"Redis is not reachable on {REDIS[0]}:{REDIS[1]}: start it with "
                   "redis-server --daemonize yes --port 6379 (.ci/run does)")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


class Site:
    """One server process; a tiny HTTP client with its own cookies (production cookies are
    Secure: a browser behind TLS sends them back, so this client does too over loopback)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()
        conn.close()
        return response.status, dict(response.headers), data

    def get(self, path: str) -> tuple[int, dict, bytes]:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> tuple[int, dict, bytes]:
        return self.request("POST", path, urllib.parse.urlencode(form).encode(),
                            {"Content-Type": "application/x-www-form-urlencoded"})

    def token(self, path: str = "/account/login") -> str:
        status, _, body = self.get(path)
        assert status == 200, (path, status)
        return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()

    def login(self, login: str = "resident@demo.test", password: str = DEMO_PASSWORD) -> int:
        token = self.token()
        status, _, _ = self.post("/account/login", {"csrf_token": token, "login": login,
                                                   "password": password})
        return status

    def share_cookies(self, other: Site) -> Site:
        """The same browser talking to another server behind the load balancer."""
        self.cookies = other.cookies
        return self


def _wait_up(port: int, proc: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            if Site(port).get("/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not start")


@pytest.fixture
def province(fresh_app, tmp_path):
    """Two servers on one database, Redis and upload folder: gunicorn with 2 workers and
    waitress. Yields (app for direct database access, gunicorn Site, waitress Site)."""
    app = fresh_app()
    uploads = tmp_path / "shared-uploads"
    uploads.mkdir()
    env = {**os.environ, "PORTAL_ENV": "production",
           "PORTAL_SECRET_KEY": secrets.token_hex(32),
           "PORTAL_DATABASE_URL": app.config["DATABASE_URL"],
           "PORTAL_UPLOAD_DIR": str(uploads),
           "PORTAL_RATELIMIT_STORAGE": f"redis://{REDIS[0]}:{REDIS[1]}/0",
           "PORTAL_RATELIMIT_PREFIX": f"test-{secrets.token_hex(6)}",
           "PORTAL_PROCESSES": "3",
           "PORTAL_SMS_LOG_FILE": str(tmp_path / "sms.log"),
           "PORTAL_MAIL_LOG_FILE": str(tmp_path / "mail.log")}
    ports = [free_port(), free_port()]
    commands = [
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy/gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{ports[0]}", "--workers", "2", "--threads", "4",
         "--access-logfile", "/dev/null", "app:app"],
        [sys.executable, "-m", "waitress", "--host=127.0.0.1", f"--port={ports[1]}",
         "--threads=4", "app:app"],
    ]
    procs = [subprocess.Popen(c, cwd=ROOT, env={**env, "PORTAL_BASE_URL":
                                                f"http://127.0.0.1:{p}"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for c, p in zip(commands, ports, strict=True)]
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_up(port, proc)
        yield app, Site(ports[0]), Site(ports[1]), env
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_a_login_made_on_one_server_holds_on_the_other(province):
    _, first, second, _ = province
    assert first.login() == 302
    assert Site(second.port).get("/my/dossiers")[0] == 302  # no session: off to the login
    status, _, body = second.share_cookies(first).get("/my/dossiers")
    assert status == 200  # the session made by another process, on another server
    assert "Hồ sơ của tôi".encode() in body


def test_rate_limits_are_counted_once_for_all_servers(province):
    """The login limit is 10 a minute per address: 10 tries spread over both servers (three
    processes) use it up, so the 11th is refused whichever server takes it. With per-process
    counters each process would allow 10 of its own."""
    _, first, second, _ = province
    sites = [first, second]
    statuses = [sites[i % 2].login("nobody-here@example.vn", "wrong-password-1")
                for i in range(10)]
    assert 429 not in statuses, statuses
    assert first.login("nobody-here@example.vn", "wrong-password-1") == 429
    assert second.login("nobody-here@example.vn", "wrong-password-1") == 429


def _draft(app, procedure_code: str, answers: dict | None = None) -> str:
    with app.test_request_context(), get_db(app).transaction() as session:
        user = user_by_email(session, "resident@demo.test")
        draft = filing.start_draft(session, user,
                                   queries.published_procedure(session, procedure_code))
        if answers is not None:
            form = filing.DossierForm(filing.form_specs(draft), answers)
            assert form.validate(), form.errors
            filing.save_answers(session, draft, form)
        return draft.public_id


def _multipart(fields: dict, file_field: str, filename: str, content: bytes,
               content_type: str) -> tuple[bytes, str]:
    boundary = "portal" + secrets.token_hex(8)
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             .encode() for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
                 f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                 + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def _pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>Giấy chứng sinh — bản chụp</p>").write_pdf()


def test_an_upload_made_through_one_server_is_served_by_the_other(province):
    app, first, second, _ = province
    public_id = _draft(app, BIRTH)
    assert first.login() == 302
    status, _, page = first.get(f"/my/dossiers/{public_id}/documents")
    assert status == 200
    key = re.search(rb'/documents/([a-z0-9_]+)"', page).group(1).decode()
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    content = _pdf()
    body, boundary = _multipart({"csrf_token": token}, key, "giay-chung-sinh.pdf", content,
                                "application/pdf")
    status, _, _ = first.request("POST", f"/my/dossiers/{public_id}/documents/{key}", body,
                                 {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status in (302, 303)
    status, _, page = second.share_cookies(first).get(f"/my/dossiers/{public_id}/documents")
    links = re.findall(rf"/my/dossiers/{public_id}/files/([A-Za-z0-9_-]+)".encode(), page)
    assert links, "the other server lists the uploaded file"
    status, headers, served = second.get(f"/my/dossiers/{public_id}/files/{links[0].decode()}")
    assert status == 200
    assert served == content


MARITAL = "1.004873"  # no mandatory document: a draft is complete with its answers


def test_concurrent_submissions_through_both_servers_get_unique_gap_free_codes(province):
    app, first, second, _ = province
    answers = applicant_answers(applicant_office=OFFICE, full_name="Nguyễn Văn Hai Máy",
                                birth_date="1990-05-01", id_number="025190000778",
                                marital_status="chua_ket_hon", purpose="ket_hon")
    ids = [_draft(app, MARITAL, answers) for _ in range(16)]
    assert first.login() == 302
    second.share_cookies(first)
    token = first.token("/my/dossiers")
    barrier = threading.Barrier(len(ids), timeout=60)
    statuses: dict[str, int] = {}

    def submit(index: int, public_id: str) -> None:
        site = Site((first, second)[index % 2].port)
        site.cookies = dict(first.cookies)
        barrier.wait()
        statuses[public_id] = site.post(f"/my/dossiers/{public_id}/submit",
                                        {"csrf_token": token, "nonce": f"n-{public_id}"})[0]

    threads = [threading.Thread(target=submit, args=(i, p)) for i, p in enumerate(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(statuses.values()) == [303] * len(ids)
    with get_db(app).transaction() as session:
        rows = session.scalars(select(Dossier).where(Dossier.public_id.in_(ids))).all()
        assert {d.status for d in rows} == {DossierStatus.SUBMITTED}
        (day,) = {d.submitted_at.astimezone(LOCAL_TZ).date() for d in rows}
        assert {d.code for d in rows} == {codes.format_dossier_code(OFFICE, day, n)
                                          for n in range(1, len(ids) + 1)}


def test_two_notification_senders_at_once_send_each_message_once(province, tmp_path):
    app, *_, env = province
    with get_db(app).transaction() as session:
        for n in range(30):
            session.add(Notification(channel="sms", recipient=f"+8490000{n:04d}",
                                     text=f"Thông báo số {n:02d} hết"))
    runs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "portal",
                              "send-notifications"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    reported = 0
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()[-2000:]
        reported += int(re.search(rb"sent: (\d+)", out).group(1))
    assert reported == 30
    sent = (tmp_path / "sms.log").read_text("utf-8")  # SMS are folded to plain ASCII
    for n in range(30):
        assert sent.count(f"Thong bao so {n:02d} het") == 1, n
    with get_db(app).transaction() as session:
        rows = session.scalars(select(Notification)).all()
        assert {r.state for r in rows if r.text.startswith("Thông báo số")} == {"sent"}
