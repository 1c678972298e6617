"""Webhooks: each dossier event is queued in the event's transaction and POSTed, signed with
HMAC-SHA256, through the outbox; failures are retried until delivered, hangs are cut."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from district_portal.models import Notification, Webhook
from district_portal.models.types import utcnow
from district_portal.services.api import webhooks
from district_portal.services.api.keys import SCOPE_CHANGES, create_key, revoke_key
from district_portal.services.dossiers.workflow import WorkflowError, perform
from district_portal.services.notifications import send_pending
from tests.api_helpers import start_receiver, validate_against
from tests.factories import OFFICE, OTHER_OFFICE
from tests.factories import create_filed_dossier as create_dossier
from tests.helpers import login, user_by_email

SECRET = "chia-se-bi-mat-0123456789"
PERSONAL = ["Nguyễn Văn An", "001234567890", "0912345678", "+84912345678", "Trần Thị Bình",
            "Số 1, tổ 2"]


@pytest.fixture
def receiver():
    started = []

    def start(statuses=(), hang=0.0):
        handler, url, stop = start_receiver(SECRET, statuses, hang)
        started.append(stop)
        return handler, url

    yield start
    for stop in started:
        stop()


def hook_rows(sess) -> list[Notification]:
    return list(sess.scalars(select(Notification).where(Notification.channel == "webhook")
                             .order_by(Notification.id)))


def settings(app, **overrides) -> dict:
    return {**app.config, **overrides}


def test_each_event_is_queued_with_it_and_delivered_signed_without_personal_data(
        app, sess, receiver):
    handler, url = receiver()
    webhooks.register(sess, url=url, secret=SECRET, office_code=OFFICE)
    dossier = create_dossier(sess, status="accepted")
    rows = hook_rows(sess)
    assert [json.loads(r.text)["event"]["action"] for r in rows] == ["submit", "accept"]
    assert all(r.state == "pending" and r.dossier_id == dossier.id for r in rows)
    send_pending(sess, settings(app))
    assert [r.state for r in rows] == ["sent", "sent"]
    assert [d["signed"] for d in handler.deliveries] == [True, True]
    for delivery, row in zip(handler.deliveries, rows, strict=True):
        validate_against("WebhookDelivery", delivery["json"])
        assert delivery["body"] == row.text.encode()
        assert delivery["event_id"] == delivery["json"]["event"]["event_id"]
        assert abs(int(delivery["timestamp"]) - time.time()) < 60
        assert delivery["json"]["event"]["dossier_code"] == dossier.code
        for value in PERSONAL:
            assert value not in delivery["body"].decode(), value


def test_a_refused_action_queues_nothing(app, sess, receiver):
    _handler, url = receiver()
    webhooks.register(sess, url=url, secret=SECRET, office_code=OFFICE)
    dossier = create_dossier(sess, status="accepted")
    before = len(hook_rows(sess))
    with pytest.raises(WorkflowError):
        perform(sess, dossier, "accept", user_by_email(sess, "clerk@demo.test"))
    assert len(hook_rows(sess)) == before


def test_a_failing_receiver_is_retried_with_backoff_and_loses_nothing(app, sess, receiver):
    handler, url = receiver(statuses=[500, 503])
    webhooks.register(sess, url=url, secret=SECRET, office_code=OFFICE)
    create_dossier(sess)
    (row,) = hook_rows(sess)
    now = utcnow()
    assert send_pending(sess, settings(app), now=now).retried == 1
    assert row.state == "pending" and row.attempts == 1 and "500" in row.error
    assert row.next_attempt_at == now + timedelta(minutes=1)
    assert send_pending(sess, settings(app), now=now + timedelta(seconds=30)).sent == 0
    later = now + timedelta(minutes=2)
    assert send_pending(sess, settings(app), now=later).retried == 1
    assert row.next_attempt_at == later + timedelta(minutes=5)
    assert send_pending(sess, settings(app), now=later + timedelta(minutes=6)).sent == 1
    assert row.state == "sent" and row.attempts == 3 and row.error is None
    assert len(handler.deliveries) == 3
    assert len({d["body"] for d in handler.deliveries}) == 1  # the same event each time
    assert len({d["event_id"] for d in handler.deliveries}) == 1
    assert all(d["signed"] for d in handler.deliveries)


def test_a_receiver_that_hangs_is_cut_by_the_timeout_and_retried(app, sess, receiver):
    handler, url = receiver(hang=5)
    webhooks.register(sess, url=url, secret=SECRET, office_code=OFFICE)
    create_dossier(sess)
    (row,) = hook_rows(sess)
    started = time.monotonic()
    report = send_pending(sess, settings(app, WEBHOOK_TIMEOUT=0.5))
    assert time.monotonic() - started < 3
    assert report.retried == 1 and row.state == "pending"
    assert "timed out" in row.error.lower()


def test_a_redirect_is_a_failure_not_a_post_elsewhere(app, sess, receiver):
    handler, url = receiver(statuses=[302])
    webhooks.register(sess, url=url, secret=SECRET, office_code=OFFICE)
    create_dossier(sess)
    assert send_pending(sess, settings(app)).retried == 1
    assert len(handler.deliveries) == 1


def test_a_removed_webhook_or_revoked_key_sends_nothing_more(app, sess, receiver):
    handler, url = receiver()
    hook = webhooks.register(sess, url=url, secret=SECRET, office_code=OFFICE)
    create_dossier(sess)
    webhooks.revoke(sess, hook.public_id)
    report = send_pending(sess, settings(app))
    assert report.failed == 1 and handler.deliveries == []
    key, _secret = create_key(sess, name="K", scopes=[SCOPE_CHANGES])
    webhooks.register(sess, url=url, secret=SECRET, key_prefix=key.prefix)
    revoke_key(sess, key.prefix)
    before = len(hook_rows(sess))
    create_dossier(sess)
    assert len(hook_rows(sess)) == before


def test_receivers_get_only_the_events_their_key_or_office_may_see(app, sess, receiver):
    _h, url = receiver()
    mine = webhooks.register(sess, url=url, secret=SECRET, office_code=OFFICE)
    other = webhooks.register(sess, url=url + "?o", secret=SECRET, office_code=OTHER_OFFICE)
    province = webhooks.register(sess, url=url + "?p", secret=SECRET,
                                 office_code="000.00.00.T25")
    every, _s = create_key(sess, name="Quốc gia", scopes=[SCOPE_CHANGES])
    national = webhooks.register(sess, url=url + "?k", secret=SECRET, key_prefix=every.prefix)
    scoped, _s = create_key(sess, name="Xã khác", scopes=[SCOPE_CHANGES],
                            office_code=OTHER_OFFICE)
    neighbour = webhooks.register(sess, url=url + "?n", secret=SECRET,
                                  key_prefix=scoped.prefix)
    create_dossier(sess)  # filed at OFFICE
    counts = dict(sess.execute(select(Notification.webhook_id, func.count())
                               .where(Notification.channel == "webhook")
                               .group_by(Notification.webhook_id)).all())
    assert counts == {mine.id: 1, province.id: 1, national.id: 1}
    assert other.id not in counts and neighbour.id not in counts


@pytest.mark.parametrize("kwargs", [
    {"url": "ftp://127.0.0.1/x", "office_code": OFFICE},
    {"url": "http://127.0.0.1/x", "office_code": OFFICE, "secret": "short"},
    {"url": "http://127.0.0.1/x"},
    {"url": "http://127.0.0.1/x", "office_code": "NO.SUCH"},
    {"url": "http://127.0.0.1/x", "key_prefix": "000000000000"},
])
def test_a_webhook_needs_an_http_address_a_long_secret_and_one_key_or_office(sess, kwargs):
    with pytest.raises(webhooks.WebhookError):
        webhooks.register(sess, **{"secret": SECRET, **kwargs})


def test_the_signature_covers_the_timestamp_and_the_raw_body():
    body = b'{"type":"dossier.event"}'
    assert webhooks.sign("k", 1700000000, body) == (
        "sha256=" + __import__("hmac").new(b"k", b"1700000000." + body, "sha256").hexdigest())
    assert webhooks.sign("k", 1700000001, body) != webhooks.sign("k", 1700000000, body)


def test_the_cli_adds_lists_and_removes_webhooks(fresh_app):
    app = fresh_app()

    def run(*args):
        return app.test_cli_runner().invoke(args=["portal", *args])

    added = run("webhook", "add", "--url", "http://127.0.0.1:9/hook", "--secret", SECRET,
                "--office", OFFICE)
    assert added.exit_code == 0, added.output
    public_id = re.search(r"webhook (\w+) registered", added.output).group(1)
    listing = run("webhook", "list").output
    assert public_id in listing and "office " + OFFICE in listing and SECRET not in listing
    assert run("webhook", "add", "--url", "http://x", "--secret", "s").exit_code == 1
    assert run("webhook", "remove", public_id).exit_code == 0
    assert "removed" in run("webhook", "list").output
    assert run("webhook", "remove", "nope").exit_code == 1


def test_an_admin_registers_and_removes_a_webhook_on_the_page(client, session):
    login(client, user_by_email(session, "admin.tinh@demo.test"))
    page = client.get("/staff/api-keys/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    both = client.post("/staff/api-keys/webhooks", data={
        "csrf_token": token, "url": "http://127.0.0.1:9/hook", "secret": SECRET})
    assert both.status_code == 400
    assert "Chọn một khóa API hoặc một cơ quan" in both.get_data(as_text=True)
    assert 'value="http://127.0.0.1:9/hook"' in both.get_data(as_text=True)
    added = client.post("/staff/api-keys/webhooks", data={
        "csrf_token": token, "url": "http://127.0.0.1:9/hook", "secret": SECRET,
        "office": OFFICE})
    assert added.status_code == 303
    hook = session.scalar(select(Webhook))
    assert hook.office.agency_code == OFFICE and hook.revoked_at is None
    listing = client.get("/staff/api-keys/").get_data(as_text=True)
    assert "http://127.0.0.1:9/hook" in listing and SECRET not in listing
    removed = client.post(f"/staff/api-keys/webhooks/{hook.public_id}/remove",
                          data={"csrf_token": token})
    assert removed.status_code == 303
    session.refresh(hook)
    assert hook.revoked_at is not None


def test_the_verification_example_in_the_docs_accepts_a_real_delivery_and_refuses_tampering(
        app, sess, receiver):
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text("utf-8")
    code = re.search(r"```python\n(.*?)```", docs, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/api.md", "exec"), namespace)  # noqa: S102
    verify = namespace["verify"]
    handler, url = receiver()
    webhooks.register(sess, url=url, secret=SECRET, office_code=OFFICE)
    create_dossier(sess)
    send_pending(sess, settings(app))
    (delivery,) = handler.deliveries
    headers = {"X-Portal-Timestamp": delivery["timestamp"],
               "X-Portal-Signature": delivery["signature"]}
    assert verify(SECRET, headers, delivery["body"])
    assert not verify(SECRET, headers, delivery["body"].replace(b"submit", b"accept"))
    assert not verify("another-secret-of-some-length", headers, delivery["body"])
    old = {**headers, "X-Portal-Timestamp": str(int(delivery["timestamp"]) - 3600)}
    assert not verify(SECRET, old, delivery["body"])
