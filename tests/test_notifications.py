"""The outbox sender: log, HTTP and SMTP backends, SMS folding, retries with backoff."""

from __future__ import annotations

import socketserver
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Notification
from district_portal.models.types import utcnow
from district_portal.services.notifications import (
    BACKOFF_MINUTES,
    MAX_ATTEMPTS,
    queue,
    send_pending,
    sms_text,
)

SOON = timedelta(seconds=1)


@pytest.fixture
def store(app):
    session = get_db(app).writer()
    yield session
    session.close()


def settings(app, **overrides) -> dict:
    return {**app.config, **overrides}


def add(store, channel="sms", recipient="+84912345678", text="Hồ sơ đã được tiếp nhận",
        subject=None) -> Notification:
    note = queue(store, channel=channel, recipient=recipient, text=text, subject=subject)
    store.flush()
    return note


class _Recorder(BaseHTTPRequestHandler):
    status = 200
    requests: list

    def do_GET(self):  # noqa: N802
        self.requests.append(("GET", self.path, b""))
        self._answer()

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.requests.append(("POST", self.path, body))
        self._answer()

    def _answer(self):
        self.send_response(self.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_gateway():
    """A real HTTP server on 127.0.0.1 and a random port; set .status to make it fail."""
    handler = type("Handler", (_Recorder,), {"requests": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield handler
    server.shutdown()
    server.server_close()


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib to hand over one message."""

    messages: list

    def handle(self):
        self.wfile.write(b"220 localhost test SMTP\r\n")
        data, in_data = [], False
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    self.messages.append("\n".join(data))
                    self.wfile.write(b"250 queued\r\n")
                else:
                    data.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line[:4].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-localhost\r\n250 8BITMIME\r\n")
            elif verb == "DATA":
                in_data = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    handler = type("Handler", (_SMTPHandler,), {"messages": []})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.port = server.server_address[1]
    yield handler
    server.shutdown()
    server.server_close()


# --- SMS text -----------------------------------------------------------------------------

def test_sms_text_has_no_diacritics():
    assert sms_text("Đăng ký khai sinh – hồ sơ ĐÃ TIẾP NHẬN, đúng hẹn") == \
        "Dang ky khai sinh ho so DA TIEP NHAN, dung hen"


def test_long_sms_text_is_cut_at_a_word_within_160_characters():
    text = sms_text("Hồ sơ của ông bà " * 20)
    assert len(text) <= 160 and text.endswith("...")
    assert text[:-3].split(" ")[-1] in {"Ho", "so", "cua", "ong", "ba"}


def test_sms_text_drops_control_and_direction_characters():
    assert sms_text("Mã\u202e 123\n456\x07") == "Ma 123 456"


# --- Log backends -------------------------------------------------------------------------

def test_an_sms_is_written_to_the_log_without_diacritics_and_marked_sent(app, store):
    note = add(store)
    now = utcnow() + SOON
    report = send_pending(store, app.config, now=now)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    assert note.state == "sent" and note.sent_at == now and note.attempts == 1
    line = Path(app.config["SMS_LOG_FILE"]).read_text("utf-8").splitlines()[-1]
    assert line.endswith("\t+84912345678\tHo so da duoc tiep nhan")


def test_an_email_is_written_to_the_mail_log_in_vietnamese(app, store):
    note = add(store, channel="email", recipient="dan@example.vn", subject="Kết quả hồ sơ",
               text="Hồ sơ của bạn đã có kết quả.")
    send_pending(store, app.config, now=utcnow() + SOON)
    log = Path(app.config["MAIL_LOG_FILE"]).read_text("utf-8")
    assert note.state == "sent"
    assert "To: dan@example.vn\nSubject: Kết quả hồ sơ\n\nHồ sơ của bạn đã có kết quả." in log


def test_rows_not_yet_due_and_rows_already_sent_are_left_alone(app, store):
    later = add(store)
    later.next_attempt_at = utcnow() + timedelta(hours=1)
    done = add(store)
    done.state = "sent"
    store.flush()
    assert send_pending(store, app.config, now=utcnow() + SOON).sent == 0
    assert later.state == "pending" and later.attempts == 0 and done.attempts == 0


def test_the_limit_caps_one_run(app, store):
    notes = [add(store, text=f"tin {i}") for i in range(3)]
    assert send_pending(store, app.config, now=utcnow() + SOON, limit=2).sent == 2
    assert [n.state for n in notes] == ["sent", "sent", "pending"]


# --- HTTP SMS gateway ---------------------------------------------------------------------

def test_the_http_backend_calls_the_gateway_with_phone_text_and_key(app, store, sms_gateway):
    note = add(store, text="Mã tra cứu: AB12-CD34 & hẹn trả 01/12")
    config = settings(app, SMS_BACKEND="http", SMS_HTTP_KEY="k&y",
                      SMS_HTTP_URL=sms_gateway.url + "/send?to={phone}&msg={text}&key={key}")
    send_pending(store, config, now=utcnow() + SOON)
    assert note.state == "sent"
    method, path, _ = sms_gateway.requests[0]
    query = parse_qs(urlsplit(path).query)
    assert method == "GET"
    assert query == {"to": ["+84912345678"], "msg": ["Ma tra cuu: AB12-CD34 & hen tra 01/12"],
                     "key": ["k&y"]}


def test_the_http_backend_can_post(app, store, sms_gateway):
    add(store)
    config = settings(app, SMS_BACKEND="http", SMS_HTTP_METHOD="POST",
                      SMS_HTTP_URL=sms_gateway.url + "/api/{key}", SMS_HTTP_KEY="secret")
    send_pending(store, config, now=utcnow() + SOON)
    method, path, body = sms_gateway.requests[0]
    assert method == "POST" and path == "/api/secret"
    assert parse_qs(body.decode())["text"] == ["Ho so da duoc tiep nhan"]


def test_a_failing_gateway_schedules_a_retry_and_keeps_the_error(app, store, sms_gateway):
    sms_gateway.status = 500
    note = add(store)
    now = utcnow() + SOON
    config = settings(app, SMS_BACKEND="http", SMS_HTTP_URL=sms_gateway.url + "/?p={phone}")
    report = send_pending(store, config, now=now)
    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    assert note.state == "pending" and note.attempts == 1
    assert note.next_attempt_at == now + timedelta(minutes=1)
    assert "500" in note.error
    sms_gateway.status = 200
    assert send_pending(store, config, now=now + timedelta(seconds=30)).sent == 0
    assert send_pending(store, config, now=now + timedelta(minutes=1)).sent == 1
    assert note.state == "sent" and note.error is None and len(sms_gateway.requests) == 2


def test_an_unreachable_gateway_backs_off_then_fails(app, store, sms_gateway):
    sms_gateway.status = 503
    note = add(store)
    config = settings(app, SMS_BACKEND="http", SMS_HTTP_URL=sms_gateway.url + "/{phone}")
    now = utcnow() + SOON
    delays = []
    for _ in range(MAX_ATTEMPTS):
        send_pending(store, config, now=now)
        if note.state == "pending":
            delays.append(note.next_attempt_at - now)
            now = note.next_attempt_at
    assert delays == [timedelta(minutes=m) for m in BACKOFF_MINUTES]
    assert note.state == "failed" and note.attempts == MAX_ATTEMPTS and "503" in note.error
    assert send_pending(store, config, now=now + timedelta(days=1)).failed == 0


def test_an_unknown_channel_fails_at_once(app, store):
    note = add(store, channel="webhook", recipient="https://example.vn/hook")
    report = send_pending(store, app.config, now=utcnow() + SOON)
    assert report.failed == 1 and note.state == "failed" and "webhook" in note.error


# --- SMTP ---------------------------------------------------------------------------------

def test_the_smtp_backend_hands_the_message_to_the_server(app, store, smtp_server):
    note = add(store, channel="email", recipient="dan@example.vn", subject="Kết quả hồ sơ",
               text="Hồ sơ của bạn đã có kết quả.")
    config = settings(app, MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1",
                      SMTP_PORT=smtp_server.port, MAIL_FROM="cong@xa.gov.vn")
    send_pending(store, config, now=utcnow() + SOON)
    assert note.state == "sent", note.error
    message = smtp_server.messages[0]
    assert "To: dan@example.vn" in message and "From: cong@xa.gov.vn" in message


def test_a_closed_smtp_port_schedules_a_retry(app, store, smtp_server):
    note = add(store, channel="email", recipient="dan@example.vn", text="x")
    config = settings(app, MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=1)
    assert send_pending(store, config, now=utcnow() + SOON).retried == 1
    assert note.state == "pending" and note.error


# --- CLI and concurrency ------------------------------------------------------------------

def test_the_cli_command_sends_and_prints_counts(fresh_app):
    app = fresh_app(seeded=False)
    with get_db(app).transaction() as session:
        add(session)
        add(session, channel="webhook", recipient="https://example.vn/hook")
    result = app.test_cli_runner().invoke(args=["portal", "send-notifications"])
    assert result.exit_code == 0, result.output
    assert "sent: 1, to retry: 0, failed: 1" in result.output
    with get_db(app).transaction(write=False) as session:
        states = sorted(session.scalars(select(Notification.state)))
    assert states == ["failed", "sent"]


def test_two_senders_at_once_send_each_message_once(fresh_app):
    """On SQLite the second sender waits for the write lock (BEGIN IMMEDIATE) and finds
    nothing left; on PostgreSQL the next test shows rows are claimed with SKIP LOCKED."""
    import threading

    app = fresh_app(seeded=False)
    database = get_db(app)
    with database.transaction() as session:
        for i in range(6):
            add(session, text=f"tin {i}")
    barrier = threading.Barrier(2)
    reports = []

    def sender():
        barrier.wait()
        with app.app_context(), database.transaction() as session:
            reports.append(send_pending(session, app.config, now=utcnow() + SOON))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 6
    with database.transaction(write=False) as session:
        rows = session.scalars(select(Notification)).all()
    assert {(n.state, n.attempts) for n in rows} == {("sent", 1)}


@pytest.mark.postgresql_only  # what SQLite guarantees instead is tested just above
def test_a_row_locked_by_another_worker_is_skipped_on_postgresql(fresh_app):
    app = fresh_app(seeded=False)
    database = get_db(app)
    assert database.engine.dialect.name == "postgresql"
    with database.transaction() as session:
        first, second = add(session, text="một"), add(session, text="hai")
        first_id = first.id
    with database.transaction() as worker_a:
        worker_a.scalars(select(Notification).where(Notification.id == first_id)
                         .with_for_update()).one()
        with database.transaction() as worker_b:
            report = send_pending(worker_b, app.config, now=utcnow() + SOON)
        assert report.sent == 1
    with database.transaction(write=False) as session:
        assert session.get(Notification, first_id).state == "pending"
        assert session.get(Notification, second.id).state == "sent"
