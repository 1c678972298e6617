"""The outbox sender against a mail server that hangs or a run that is killed: filing is never
blocked behind it, every connection has a timeout and the run a deadline, a killed run
resends nothing it had sent, and messages failed after all retries can be requeued."""

from __future__ import annotations

import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from district_portal.config import ROOT
from district_portal.db import get_db
from district_portal.models import Notification
from district_portal.models.types import utcnow
from district_portal.services.notifications import LEASE, queue, send_pending
from tests.factories import user
from tests.helpers import ClientRequest, login
from tests.test_notifications import _SMTPHandler


def _queue_emails(app, n: int) -> None:
    with get_db(app).transaction() as session:
        for i in range(n):
            queue(session, channel="email", recipient=f"dan{i}@example.vn", subject="Hồ sơ",
                  text=f"tin {i}")


def _states(app) -> list[str]:
    with get_db(app).transaction(write=False) as session:
        return list(session.scalars(select(Notification.state).order_by(Notification.id)))


@pytest.fixture
def silent_smtp():
    """A socket that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def test_a_hanging_mail_server_does_not_block_filing(fresh_app, silent_smtp):
    app = fresh_app(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=silent_smtp,
                    NOTIFY_TIMEOUT=2, NOTIFY_RUN_SECONDS=3)
    _queue_emails(app, 4)
    with app.app_context(), get_db(app).transaction(write=False) as session:
        resident = user(session, "resident@demo.test")
    client = app.test_client()
    login(client, resident)
    token = ClientRequest(client).get("/procedures/1.001193").csrf_token()
    outcome = {}

    def run_sender():
        started = time.monotonic()
        outcome["result"] = app.test_cli_runner().invoke(args=["portal", "send-notifications"])
        outcome["seconds"] = time.monotonic() - started

    sender = threading.Thread(target=run_sender)
    sender.start()
    time.sleep(0.7)  # the sender is now waiting for the silent server's greeting
    assert sender.is_alive()
    start = time.monotonic()
    response = client.post("/procedures/1.001193/apply", data={"csrf_token": token})
    elapsed = time.monotonic() - start
    sender.join(60)
    assert response.status_code == 303
    assert elapsed < 1.5, f"filing waited {elapsed:.1f} s behind the sender"
    # Each connection timed out (2 s) and the run stopped at its deadline (3 s): two tried,
    # the other two released for the next run, nothing lost.
    result = outcome["result"]
    assert result.exit_code == 0, result.output
    assert "sent: 0, to retry: 2, failed: 0, left for the next run: 2" in result.output
    assert outcome["seconds"] < 8
    assert _states(app) == ["pending"] * 4


class _HangOnFourth(_SMTPHandler):
    """Takes three messages, then never answers the fourth's DATA."""

    def handle(self):
        if len(self.messages) >= 3:
            self.wfile.write(b"220 localhost test SMTP\r\n")
            for raw in self.rfile:
                if raw[:4].upper() == b"DATA":
                    self.hung.set()
                    time.sleep(60)
                    return
                self.wfile.write(b"250-localhost\r\n250 8BITMIME\r\n" if raw[:4].upper() ==
                                 b"EHLO" else b"250 ok\r\n")
            return
        super().handle()


def _smtp(handler):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_sender_killed_mid_batch_resends_nothing_it_had_sent(fresh_app):
    app = fresh_app(seeded=False)
    _queue_emails(app, 6)
    first = type("First", (_HangOnFourth,), {"messages": [], "hung": threading.Event()})
    server = _smtp(first)
    env = {**os.environ, "PORTAL_ENV": "test",
           "PORTAL_TEST_DATABASE_URL": app.config["DATABASE_URL"],
           "PORTAL_MAIL_BACKEND": "smtp", "PORTAL_SMTP_HOST": "127.0.0.1",
           "PORTAL_SMTP_PORT": str(server.server_address[1]), "PORTAL_NOTIFY_TIMEOUT": "30"}
    run = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "portal",
                            "send-notifications"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert first.hung.wait(60), "the sender never reached the fourth message"
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(30)
        server.shutdown()
        server.server_close()
    assert len(first.messages) == 3
    assert _states(app) == ["sent"] * 3 + ["sending"] * 3  # claimed, leased

    second = type("Second", (_SMTPHandler,), {"messages": []})
    server = _smtp(second)
    try:
        config = {**app.config, "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1",
                  "SMTP_PORT": server.server_address[1]}
        # The next run: the dead sender's lease on the fourth message has run out.
        with app.app_context(), get_db(app).transaction() as session:
            report = send_pending(session, config, now=utcnow() + LEASE + timedelta(minutes=1),
                                  checkpoint=session.commit)
    finally:
        server.shutdown()
        server.server_close()
    assert report.sent == 3
    delivered = [m for m in first.messages + second.messages]
    texts = sorted(line for m in delivered for line in m.splitlines() if line.startswith("tin "))
    assert texts == [f"tin {i}" for i in range(6)]  # each message exactly once
    assert _states(app) == ["sent"] * 6


def test_failed_messages_are_shown_to_staff_and_requeued_by_the_command(fresh_app):
    app = fresh_app()
    _queue_emails(app, 2)
    with get_db(app).transaction() as session:
        for note in session.scalars(select(Notification)):
            note.state, note.attempts, note.error = "failed", 6, "SMTPServerDisconnected"
        clerk = user(session, "clerk@demo.test")
    client = app.test_client()
    login(client, clerk)
    page = ClientRequest(client).get("/staff/worklist")
    alert = page.by_id("outbox-alert")
    assert alert is not None
    assert "không gửi được sau mọi lần thử lại: 2" in page.text(alert)
    assert "portal notifications-requeue" in page.text(alert)

    result = app.test_cli_runner().invoke(args=["portal", "notifications-requeue"])
    assert result.exit_code == 0, result.output
    assert "requeued 2 failed message(s)" in result.output
    with get_db(app).transaction(write=False) as session:
        rows = session.scalars(select(Notification)).all()
    assert {(n.state, n.attempts) for n in rows} == {("pending", 0)}
    assert ClientRequest(client).get("/staff/worklist").by_id("outbox-alert") is None
    sent = app.test_cli_runner().invoke(args=["portal", "send-notifications"])
    assert "sent: 2" in sent.output
