"""Five clicks of the same action at the same moment (and a resident withdrawing while a
clerk accepts): one succeeds, the others get the 409 page or the same success, on both
engines, never a 500, and the dossier records the action once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Dossier, DossierEvent
from district_portal.models import DossierStatus as S
from tests.factories import (
    OTHER_OFFICE,
    user,
)
from tests.factories import create_filed_dossier as create_dossier
from tests.helpers import ClientRequest, csrf_token, login, run_together

N = 5
CHANGED = "Người khác vừa thay đổi hồ sơ này"


def _dossier(app, status):
    with app.test_request_context(), get_db(app).transaction() as session:
        d = create_dossier(session, status=status)
        officer = user(session, "officer@demo.test")
        return d.code, d.public_id, d.version, officer.public_id


def _history(app, code):
    with app.app_context(), get_db(app).transaction(write=False) as session:
        d = session.scalar(select(Dossier).where(Dossier.code == code))
        return d.status, [e.action for e in session.scalars(
            select(DossierEvent).where(DossierEvent.dossier_id == d.id)
            .order_by(DossierEvent.id))]


def _account(app, email):
    with app.app_context(), get_db(app).transaction(write=False) as session:
        return user(session, email)


def _all_at_once(requests):
    """Run each (client, url, data) POST in its own thread, released together."""
    barrier = threading.Barrier(len(requests), timeout=60)
    answers, failures = [], []

    def post(client, url, data):
        try:
            barrier.wait()
            response = client.post(url, data=data)
            answers.append((response.status_code, response.get_data(as_text=True)))
        except BaseException as exc:  # reported below, never lost in the thread
            failures.append(exc)

    run_together(post, requests, 120)
    assert not failures, failures
    return answers


def _clients(app, email, n, page):
    account = _account(app, email)
    out = []
    for _ in range(n):
        client = app.test_client()
        login(client, account)
        out.append((client, csrf_token(client, page)))
    return out


def _one_success(answers):
    statuses = sorted(status for status, _ in answers)
    assert all(s < 500 for s in statuses), [(s, b[:2000]) for s, b in answers if s >= 500]
    assert statuses.count(303) >= 1, statuses
    for status, body in answers:
        assert status in (303, 409), status
        if status == 409:
            assert "Hồ sơ" in body or CHANGED in body or "không" in body


STAFF_ACTIONS = {
    "accept": (S.SUBMITTED, S.ACCEPTED, {}),
    "assign": (S.ACCEPTED, S.IN_PROGRESS, {"officer": None}),
    "transfer": (S.ACCEPTED, S.IN_PROGRESS, {"office": OTHER_OFFICE,
                                              "reason": "Chuyển về xã có thẩm quyền"}),
}


@pytest.mark.parametrize("action", sorted(STAFF_ACTIONS))
def test_five_clerks_clicking_the_same_action_at_once_record_it_once(fresh_app, action):
    app = fresh_app()
    start, end, fields = STAFF_ACTIONS[action]
    code, _, version, officer = _dossier(app, start)
    page = f"/staff/dossiers/{code}"
    data_fields = {k: (officer if v is None else v) for k, v in fields.items()}
    requests = []
    for client, token in _clients(app, "clerk@demo.test", N, page):
        data = {f"{action}-csrf_token": token, f"{action}-version": str(version)}
        data.update({f"{action}-{k}": v for k, v in data_fields.items()})
        requests.append((client, f"{page}/{action}", data))
    _one_success(_all_at_once(requests))
    status, events = _history(app, code)
    assert status == end
    assert events.count(action) == 1, events


def test_five_withdraw_clicks_at_once_withdraw_once(fresh_app):
    app = fresh_app()
    code, public_id, _, _ = _dossier(app, S.SUBMITTED)
    base = f"/my/dossiers/{public_id}"
    requests = [(client, f"{base}/withdraw", {"csrf_token": token})
                for client, token in _clients(app, "resident@demo.test", N, base)]
    _one_success(_all_at_once(requests))
    assert _history(app, code) == (S.WITHDRAWN, ["submit", "withdraw"])


def test_five_supplement_sends_at_once_send_it_once(fresh_app):
    app = fresh_app()
    code, public_id, _, _ = _dossier(app, S.SUPPLEMENT_REQUESTED)
    base = f"/my/dossiers/{public_id}"
    requests = []
    for client, token in _clients(app, "resident@demo.test", N, base):
        form = ClientRequest(client).get(f"{base}/supplement")
        data = {el.get("name"): form.value(el.get("name"))
                for el in form.findall(".//form[@novalidate]//*[@name]")
                if el.get("name") not in ("csrf_token", "_action")}
        data["husband_name"] = "Nguyễn Văn Ân"  # the correction the office asked for
        requests.append((client, f"{base}/supplement",
                         {**data, "_action": "send", "csrf_token": token}))
    _one_success(_all_at_once(requests))
    status, events = _history(app, code)
    assert status == S.ACCEPTED
    assert events.count("supplement") == 1, events


def test_a_resident_withdrawing_while_the_clerk_accepts_gives_no_500(fresh_app):
    app = fresh_app()
    code, public_id, version, _ = _dossier(app, S.SUBMITTED)
    ((resident, r_token),) = _clients(app, "resident@demo.test", 1, f"/my/dossiers/{public_id}")
    ((clerk, c_token),) = _clients(app, "clerk@demo.test", 1, f"/staff/dossiers/{code}")
    answers = _all_at_once([
        (resident, f"/my/dossiers/{public_id}/withdraw", {"csrf_token": r_token}),
        (clerk, f"/staff/dossiers/{code}/accept",
         {"accept-csrf_token": c_token, "accept-version": str(version)}),
    ])
    assert all(status < 500 for status, _ in answers), answers
    assert sorted(status for status, _ in answers) == [303, 409]
    status, events = _history(app, code)
    assert (status, events) in [(S.WITHDRAWN, ["submit", "withdraw"]),
                                (S.ACCEPTED, ["submit", "accept"])]
