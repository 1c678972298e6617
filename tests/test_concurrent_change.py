"""Two staff acting on one dossier at the same moment: one wins, the other gets the 409
"someone has just changed this dossier" page (never a 500), on both engines."""

from __future__ import annotations

import threading

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from district_portal.db import get_db
from district_portal.models import Dossier, DossierEvent
from district_portal.models import DossierStatus as S
from tests.factories import create_filed_dossier as create_dossier
from tests.factories import staff, user
from tests.helpers import csrf_token, login

CHANGED = "Người khác vừa thay đổi hồ sơ này"


def _setup(app):
    with app.test_request_context(), get_db(app).transaction() as session:
        d = create_dossier(session)
        second = staff(session, "clerk", office="000.00.04.T25", email="clerk2@demo.test")
        return d.code, d.version, [user(session, "clerk@demo.test"), second]


def _events(app, code):
    with app.app_context(), get_db(app).transaction(write=False) as session:
        d = session.scalar(select(Dossier).where(Dossier.code == code))
        return d.status, [e.action for e in session.scalars(
            select(DossierEvent).where(DossierEvent.dossier_id == d.id)
            .order_by(DossierEvent.id))]


def test_two_clerks_accepting_the_same_dossier_at_once_get_one_success_and_one_409(fresh_app):
    app = fresh_app()
    code, version, clerks = _setup(app)
    clients = [app.test_client() for _ in clerks]
    tokens = []
    for client, clerk in zip(clients, clerks, strict=True):
        login(client, clerk)
        tokens.append(csrf_token(client, f"/staff/dossiers/{code}"))
    barrier = threading.Barrier(2, timeout=30)
    answers: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def accept(client, token):
        try:
            barrier.wait()
            response = client.post(f"/staff/dossiers/{code}/accept", data={
                "accept-csrf_token": token, "accept-version": str(version)})
            answers.append((response.status_code, response.get_data(as_text=True)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=accept, args=pair)
               for pair in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(status for status, _ in answers) == [303, 409]
    loser = next(body for status, body in answers if status == 409)
    assert CHANGED in loser
    assert _events(app, code) == (S.ACCEPTED, ["submit", "accept"])


def test_a_change_committed_between_load_and_write_is_a_409_not_a_500(fresh_app):
    """The version counter's own check (StaleDataError): another request commits its change
    after this one loaded the dossier and checked the form's version, before it writes."""
    app = fresh_app()
    code, version, (clerk, _) = _setup(app)
    client = app.test_client()
    login(client, clerk)
    token = csrf_token(client, f"/staff/dossiers/{code}")
    bumped = []

    def other_request_wins(session, _flush_context, _instances):
        if not bumped and any(isinstance(o, Dossier) and o.code == code for o in session.dirty):
            bumped.append(True)
            session.connection().execute(
                text("UPDATE dossier SET version = version + 1 WHERE code = :code"),
                {"code": code})

    event.listen(Session, "before_flush", other_request_wins)
    try:
        response = client.post(f"/staff/dossiers/{code}/accept", data={
            "accept-csrf_token": token, "accept-version": str(version)})
    finally:
        event.remove(Session, "before_flush", other_request_wins)
    assert bumped
    assert response.status_code == 409
    assert CHANGED in response.get_data(as_text=True)
    assert _events(app, code) == (S.SUBMITTED, ["submit"])
