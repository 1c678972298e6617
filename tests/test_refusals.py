"""A refused service call leaves nothing behind (STYLE.md rule 14), checked on a real database
of its own: after each request a fresh transaction reads what was really committed."""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import func, select, text

from district_portal import db
from district_portal.db import get_db
from district_portal.extensions import csrf
from district_portal.forms.dossier import DossierForm
from district_portal.migrate import upgrade
from district_portal.models import CalendarDay, Dossier, DossierEvent, Notification, User
from district_portal.models import DossierStatus as S
from district_portal.services.dossiers import filing
from district_portal.services.dossiers.workflow import WorkflowError
from district_portal.services.errors import ServiceError
from tests.conftest import build_app, make_config, seed
from tests.factories import create_filed_dossier as create_dossier
from tests.factories import user
from tests.helpers import csrf_token, login, post_action

NOTE = "ghi chú thử"


@pytest.fixture(scope="module")
def real_app(databases, tmp_path_factory):
    """An app on a database of its own (no rolled-back outer transaction), with test routes
    that write a row and then refuse in each possible way."""
    url = databases.new_url()
    upgrade(url)
    app = build_app(make_config(url, str(tmp_path_factory.mktemp("uploads"))))
    seed(app)

    def write_note(kind: str):
        db.session().add(Notification(channel="email", recipient="t@demo.test",
                                      subject=kind, text=NOTE))
        db.session().flush()

    @app.post("/_test/refuse/<kind>")
    def refuse(kind: str):
        write_note(kind)
        if kind == "uncaught":
            raise ServiceError("Không được.", 409)
        if kind == "caught":
            try:
                raise WorkflowError("Không được.")
            except WorkflowError as exc:
                return f"page with {exc.message}", 200
        if kind == "kept":
            try:
                raise ServiceError("Sai mật khẩu.", keep_changes=True)
            except ServiceError:
                return "counted", 200
        if kind == "aborted":
            abort(404)
        if kind == "crash":
            raise RuntimeError("bug")
        return "ok", 200

    @app.post("/_test/stale-at-commit/<code>")
    def stale_at_commit(code: str):
        # Another request's change lands after this one's last flush: the commit itself
        # finds the version counter moved.
        sess = db.session()
        dossier = sess.scalar(select(Dossier).where(Dossier.code == code))
        sess.execute(text("UPDATE dossier SET version = version + 1 WHERE code = :c"),
                     {"c": code})
        dossier.applicant_name_search = "doi-o-commit"
        return "ok", 200

    csrf.exempt(refuse)
    csrf.exempt(stale_at_commit)
    yield app
    get_db(app).engine.dispose()


def _committed(app, model, *where) -> int:
    with app.app_context(), get_db(app).transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize(("kind", "status", "kept"), [
    ("uncaught", 409, 0), ("caught", 200, 0), ("kept", 200, 1), ("ok", 200, 1),
    ("aborted", 404, 1), ("crash", 500, 0),
])
def test_the_request_wrapper_commits_only_requests_without_a_refusal(real_app, kind, status,
                                                                     kept):
    response = real_app.test_client().post(f"/_test/refuse/{kind}")
    assert response.status_code == status
    assert _committed(real_app, Notification, Notification.subject == kind) == kept


def _dossier(app, status=S.SUBMITTED) -> str:
    with app.test_request_context(), get_db(app).transaction() as session:
        return create_dossier(session, status=status).code


def _as(app, client, email: str, code: str | None = None):
    """Log `client` in as `email`; returns the dossier `code` as it is now (detached)."""
    with app.app_context(), get_db(app).transaction(write=False) as session:
        login(client, user(session, email))
        return session.scalar(select(Dossier).where(Dossier.code == code)) if code else None


def _state(app, code: str):
    with app.app_context(), get_db(app).transaction(write=False) as session:
        d = session.scalar(select(Dossier).where(Dossier.code == code))
        events = session.scalar(select(func.count()).select_from(DossierEvent)
                                .where(DossierEvent.dossier_id == d.id))
        outbox = session.scalar(select(func.count()).select_from(Notification))
        return d.status, d.version, dict(d.answers), events, outbox


def test_a_change_lost_at_commit_is_answered_409_with_headers_and_nothing_kept(real_app):
    code = _dossier(real_app)
    before = _state(real_app, code)
    response = real_app.test_client().post(f"/_test/stale-at-commit/{code}")
    assert response.status_code == 409
    assert "Người khác vừa thay đổi hồ sơ này" in response.get_data(as_text=True)
    assert "Content-Security-Policy" in response.headers  # the page went through every hook
    assert _state(real_app, code) == before
    assert _committed(real_app, Dossier, Dossier.applicant_name_search == "doi-o-commit") == 0


def test_a_staff_action_the_workflow_refuses_commits_nothing(real_app):
    code = _dossier(real_app)
    before = _state(real_app, code)
    client = real_app.test_client()
    d = _as(real_app, client, "officer@demo.test", code)  # accepting is the clerk's
    response = post_action(client, d, "accept")
    assert response.status_code == 403
    assert "Bạn không có quyền thực hiện thao tác này" in response.get_data(as_text=True)
    assert _state(real_app, code) == before


def test_a_stale_staff_form_commits_nothing_and_answers_409(real_app):
    code = _dossier(real_app)
    before = _state(real_app, code)
    client = real_app.test_client()
    d = _as(real_app, client, "clerk@demo.test", code)
    response = post_action(client, d, "accept", version=d.version - 1)
    assert response.status_code == 409
    assert "vừa thay đổi hồ sơ này" in response.get_data(as_text=True)
    assert _state(real_app, code) == before


def test_a_refused_supplement_changes_no_answer(real_app):
    code = _dossier(real_app, S.SUPPLEMENT_REQUESTED)
    with real_app.test_request_context(), get_db(real_app).transaction() as session:
        d = session.scalar(select(Dossier).where(Dossier.code == code))
        before = dict(d.answers)
        raw = {**filing.load_form(d).raw, "applicant_street": "Tổ 9, đường mới"}
        form = DossierForm(filing.form_specs(d), raw)
        assert form.validate(), form.errors
        officer = user(session, "officer@demo.test")  # neither the owner nor the desk
        with pytest.raises(WorkflowError):
            filing.answer_supplement(session, d, officer, form)
        # Not even in the session: the workflow was asked before anything was rewritten.
        assert d.answers == before and d.applicant.get("street") != "Tổ 9, đường mới"
        assert d.status == S.SUPPLEMENT_REQUESTED


def test_a_wrong_password_is_refused_but_still_counted_toward_the_lockout(real_app):
    client = real_app.test_client()
    response = client.post("/account/login", data={
        "csrf_token": csrf_token(client, "/account/login"), "login": "resident@demo.test",
        "password": "không-đúng-mật-khẩu"})
    assert response.status_code == 200
    assert "không đúng" in response.get_data(as_text=True)
    assert _committed(real_app, User, User.email == "resident@demo.test",
                      User.failed_logins == 1) == 1


def test_a_calendar_day_for_an_unknown_office_commits_nothing(real_app):
    client = real_app.test_client()
    _as(real_app, client, "admin@demo.test")
    response = client.post("/admin/calendar/", data={  # the page moved there (issue 13)
        "csrf_token": csrf_token(client, "/admin/calendar/"),
        "day": "2026-12-24", "kind": "off", "office": "000.00.99.X99", "note": "Nghỉ"})
    assert response.status_code == 400
    assert _committed(real_app, CalendarDay) == 0


def test_a_draft_that_fails_validation_keeps_what_was_typed(real_app):
    from tests.factories import procedure

    with real_app.test_request_context(), get_db(real_app).transaction() as session:
        resident = user(session, "resident@demo.test")
        draft = filing.start_draft(session, resident, procedure(session))
        public_id = draft.public_id
    client = real_app.test_client()
    _as(real_app, client, "resident@demo.test")
    response = client.post(f"/my/dossiers/{public_id}/edit", data={
        "csrf_token": csrf_token(client, f"/my/dossiers/{public_id}/edit"),
        "applicant_name": "Lò Thị Gõ Dở", "applicant_phone": "0912", "_action": "next"})
    assert response.status_code == 400
    with real_app.app_context(), get_db(real_app).transaction(write=False) as session:
        d = session.scalar(select(Dossier).where(Dossier.public_id == public_id))
        assert d.applicant["applicant_name"] == "Lò Thị Gõ Dở"
        assert d.applicant["applicant_phone"] == "0912"


def test_a_wrong_sms_code_is_refused_but_still_counted_toward_its_five_tries(real_app):
    from district_portal.models import UserToken
    from district_portal.services.accounts import auth

    with real_app.test_request_context(), get_db(real_app).transaction() as session:
        person = auth.register_citizen(session, full_name="Lò Văn Mã", password="ruộng-bậc-9x",
                                       phone="0987 654 321")
        user_id = person.id
    client = real_app.test_client()
    with real_app.app_context(), get_db(real_app).transaction(write=False) as session:
        login(client, session.get(User, user_id))
    response = client.post("/account/verify-phone", data={
        "csrf_token": csrf_token(client, "/account/verify-phone"), "code": "000000"})
    assert response.status_code == 200
    assert "không đúng" in response.get_data(as_text=True)
    assert _committed(real_app, UserToken, UserToken.user_id == user_id,
                      UserToken.attempts == 1) == 1
