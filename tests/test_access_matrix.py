"""The access matrix: every route of app.url_map × every role, against the expected outcome
written down in EXPECTED. A route added without an entry here fails the test, so every new
page gets its access decided on purpose.

Outcomes: a status code, "login" (a redirect to the login page), or "redirect" (any other
redirect). Path arguments are filled with resident A's dossier in the demo office X (its
public id, code, tracking code, attachment and document key); POSTs carry a valid CSRF token
and no other field, so what they show is the access decision, not a completed action. Each
POST runs in its own rolled-back transaction.

Roles: anonymous, resident A (the applicant), resident B (another resident), a clerk of the
receiving office X and of another office Y, and the officer, leader and admin of office X."""

from __future__ import annotations

import io
import os
import re

import pytest

from district_portal.db import get_db
from district_portal.models import Attachment
from district_portal.models import DossierStatus as S
from district_portal.services import storage
from tests.factories import OTHER_OFFICE, create_dossier, other_resident, staff, user
from tests.helpers import CSRF, login, pdf_bytes

ROLES = ("anon", "resident_a", "resident_b", "clerk_x", "clerk_y", "officer", "leader", "admin")


def _same(outcome):
    return dict.fromkeys(ROLES, outcome)


def _only(allowed: dict, others):
    return {role: allowed.get(role, others) for role in ROLES}


def _fill(rule: str, values: dict) -> str:
    def one(match):
        name = match.group(1)
        if name == "code" and rule.startswith(("/procedures", "/api/v1/procedures")):
            return values["procedure"]
        return str(values.get(name, "x"))

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", one, rule)


@pytest.fixture
def world(app, session):
    """Resident A's dossier at office X, and one account per role."""
    resident_a = user(session, "resident@demo.test")
    d = create_dossier(session, status=S.ACCEPTED, applicant_user=resident_a)
    stored = storage.store(app.config["UPLOAD_DIR"], io.BytesIO(pdf_bytes(b"ma tran")), 10**6)
    attachment = Attachment(dossier=d, document_key="giay_chung_sinh", original_name="a.pdf",
                            stored_name=stored.sha256, content_type=stored.content_type,
                            size=stored.size, uploader_id=resident_a.id)
    session.add(attachment)
    session.flush()
    accounts = {
        "resident_a": resident_a, "resident_b": other_resident(session),
        "clerk_x": user(session, "clerk@demo.test"),
        "clerk_y": staff(session, "clerk", office=OTHER_OFFICE),
        "officer": user(session, "officer@demo.test"), "leader": user(session, "leader@demo.test"),
        "admin": user(session, "admin@demo.test"),
    }
    hashes = app.extensions["asset_hashes"]
    values = {
        "public_id": d.public_id, "code": d.code, "procedure": d.procedure.code,
        "agency_code": d.receiving_office.agency_code,
        "ref": d.ref, "file_id": attachment.public_id,
        "key": attachment.document_key, "kind": "receipt",
        "action": "accept", "lang": "vi", "province": 25, "stem": "app",
        "digest": hashes["app.css"], "ext": "css", "filename": "favicon.svg",
    }
    session.commit()
    return accounts, values


def _outcome(response) -> object:
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        return "login" if "/account/login" in location else "redirect"
    return response.status_code


def _client(app, accounts, role):
    client = app.test_client()
    if role != "anon":
        login(client, accounts[role])
    return client


def _token(client) -> str:
    for page in ("/account/login", "/account/password"):  # /track sets no cookie: no token
        match = CSRF.search(client.get(page).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no CSRF token on the account pages")


def _rules(app, method):
    return sorted(((r.endpoint, r.rule) for r in app.url_map.iter_rules() if method in r.methods),
                  key=lambda pair: pair[1])


def _check(app, world, method):
    accounts, values = world
    connection = get_db(app).writer.kw["bind"]  # the test's connection (conftest's `app`)
    found, missing = {}, []
    for _endpoint, rule in _rules(app, method):
        key = f"{method} {rule}"
        if key not in EXPECTED and not os.environ.get("ACCESS_MATRIX_PRINT"):
            missing.append(key)
            continue
        url = _fill(rule, values)
        found[key] = {}
        for role in ROLES:
            client = _client(app, accounts, role)
            # A savepoint per request: what one role's POST did (a logout everywhere, a
            # withdrawal) must not decide the next role's outcome.
            savepoint = connection.begin_nested()
            try:
                if method == "GET":
                    response = client.get(url)
                else:
                    response = client.post(url, data={"csrf_token": _token(client)})
            finally:
                savepoint.rollback()
            found[key][role] = _outcome(response)
    if os.environ.get("ACCESS_MATRIX_PRINT"):
        for key, row in found.items():
            print(f"    {key!r}: {row!r},")
    assert not missing, f"routes without an entry in EXPECTED: {missing}"
    wrong = {k: (row, EXPECTED.get(k)) for k, row in found.items() if row != EXPECTED.get(k)}
    assert not wrong, wrong


def test_every_get_route_answers_each_role_as_expected(app, world):
    _check(app, world, "GET")


def test_every_post_route_answers_each_role_as_expected(app, world):
    _check(app, world, "POST")


def test_the_matrix_has_no_entry_for_a_route_that_no_longer_exists(app):
    routes = {f"{m} {r.rule}" for r in app.url_map.iter_rules() for m in ("GET", "POST")
              if m in r.methods}
    assert set(EXPECTED) - routes == set()


EXPECTED: dict[str, dict[str, object]] = {
    'GET /account/confirm-email/<token>': _same(400),  # a made-up token
    'POST /account/confirm-email/<token>': _same(400),
    # The second login step: only for a login waiting for its code (none here).
    'GET /account/two-factor/': _same('login'),
    'POST /account/two-factor/': _same('login'),
    'POST /account/two-factor/disable': _only({'anon': 'login'}, 'redirect'),
    # Enrolment: demo staff of office X are enrolled already (sent on); the clerk of office Y,
    # made by the test, and residents may enrol.
    'GET /account/two-factor/setup': _only({'anon': 'login', 'resident_a': 200, 'resident_b': 200,
                                            'clerk_y': 200}, 'redirect'),
    'POST /account/two-factor/setup': _only({'anon': 'login', 'resident_a': 200,
                                             'resident_b': 200, 'clerk_y': 200}, 'redirect'),
    # The confirmation page; this dossier is accepted already, so its owner is sent back.
    'GET /my/dossiers/<public_id>/withdraw':
        _only({'anon': 'login', 'resident_a': 'redirect'}, 404),
    'POST /my/dossiers/<public_id>/withdraw': _only({'anon': 'login', 'resident_a': 409}, 404),
    'GET /offices': _same(200),
    'GET /supplement/<ref>': _only({'anon': 'login', 'resident_a': 'redirect'}, 404),
    'GET /': _same(200),
    'GET /account/': _only({'anon': 'login'}, 200),
    'GET /account/forgot': _same(200),
    'POST /account/forgot': _same(200),
    'GET /account/login': _same(200),
    'POST /account/login': _same(200),
    'POST /account/logout': _same('redirect'),
    'POST /account/logout-everywhere': _only({'anon': 'login'}, 'redirect'),
    'GET /account/password': _only({'anon': 'login'}, 200),
    'POST /account/password': _only({'anon': 'login'}, 200),
    'GET /account/register': _only({'anon': 200}, 'redirect'),
    'POST /account/register': _only({'anon': 200}, 'redirect'),
    'GET /account/reset/<token>': _same(400),
    'POST /account/reset/<token>': _same(400),
    'GET /account/verify-phone': _only({'anon': 'login'}, 'redirect'),
    'POST /account/verify-phone': _only({'anon': 'login'}, 'redirect'),
    'POST /account/verify-phone/resend': _only({'anon': 'login'}, 'redirect'),
    'GET /api/v1/dossiers/changes': _same(401),
    'GET /api/v1/openapi.json': _same(200),
    'GET /api/v1/procedures': _same(200),
    'GET /api/v1/procedures/<code>': _same(200),
    'GET /api/v1/stats': _same(200),
    'GET /api/v1/units/<int:province>/communes': _same(200),
    'GET /assets/<stem>.<digest>.<ext>': _same(200),
    'GET /healthz': _same(200),
    'GET /language/<lang>': _same('redirect'),
    'GET /my/dossiers': _only({'anon': 'login'}, 200),
    'GET /my/dossiers/<public_id>':
        _only({'anon': 'login', 'resident_b': 404, 'clerk_y': 404}, 200),
    'POST /my/dossiers/<public_id>/delivery': _only({'anon': 'login', 'resident_a': 400}, 404),
    'GET /my/dossiers/<public_id>/documents': _only({'anon': 'login'}, 404),
    # The documents page is one form now (the chosen files go with any button); a dossier
    # past its draft has no documents step for anyone.
    'POST /my/dossiers/<public_id>/documents': _only({'anon': 'login'}, 404),
    'POST /my/dossiers/<public_id>/documents/<key>': _only({'anon': 'login'}, 404),
    'GET /my/dossiers/<public_id>/edit': _only({'anon': 'login'}, 404),
    'POST /my/dossiers/<public_id>/edit': _only({'anon': 'login'}, 404),
    'GET /my/dossiers/<public_id>/files/<file_id>':
        _only({'anon': 'login', 'resident_b': 404, 'clerk_y': 404}, 200),
    'POST /my/dossiers/<public_id>/files/<file_id>/delete': _only({'anon': 'login'}, 404),
    'POST /my/dossiers/<public_id>/pay': _only({'anon': 'login', 'resident_a': 'redirect'}, 404),
    'POST /my/dossiers/<public_id>/rate': _only({'anon': 'login', 'resident_a': 409}, 404),
    'GET /my/dossiers/<public_id>/receipt.pdf':
        _only({'anon': 'login', 'resident_b': 404, 'clerk_y': 404}, 200),
    'GET /my/dossiers/<public_id>/receipts/<payment_id>.pdf': _only({'anon': 'login'}, 404),
    'GET /my/dossiers/<public_id>/result.pdf': _only({'anon': 'login'}, 404),
    'GET /my/dossiers/<public_id>/review': _only({'anon': 'login'}, 404),
    'GET /my/dossiers/<public_id>/slips/<kind>.pdf':
        _only({'anon': 'login', 'resident_b': 404, 'clerk_y': 404}, 200),
    'POST /my/dossiers/<public_id>/submit': _only({'anon': 'login', 'resident_a': 400}, 404),
    'GET /my/dossiers/<public_id>/supplement':
        _only({'anon': 'login', 'resident_a': 'redirect'}, 404),
    'POST /my/dossiers/<public_id>/supplement':
        _only({'anon': 'login', 'resident_a': 'redirect'}, 404),
    'POST /my/dossiers/<public_id>/supplement/documents/<key>': _only({'anon': 'login'}, 404),
    'GET /pay/<ref>': _only({'anon': 'login', 'resident_a': 'redirect'}, 404),
    'GET /payments/sandbox/': _same(200),
    'GET /payments/sandbox/deliver/<txn_ref>': _same(404),
    'GET /payments/sandbox/pay': _same(400),
    'POST /payments/sandbox/pay': _same(400),
    'POST /payments/sandbox/querydr': _same(200),
    'POST /payments/sandbox/replay/<txn_ref>': _same(404),
    'GET /payments/vnpay/ipn': _same(200),
    'GET /payments/vnpay/return': _same(400),
    'GET /procedures': _same(200),
    'GET /procedures/<code>': _same(200),
    'POST /procedures/<code>/apply': _only({'anon': 'login'}, 'redirect'),
    'GET /staff/': _only({'anon': 'login', 'resident_a': 404, 'resident_b': 404}, 'redirect'),
    'GET /admin/': _only({'anon': 'login', 'admin': 200}, 404),
    # Staff accounts and residents: the path's public id is a dossier's, no account (404).
    'GET /admin/residents/': _only({'anon': 'login', 'admin': 200}, 404),
    'GET /admin/residents/<public_id>': _only({'anon': 'login'}, 404),
    'POST /admin/residents/<public_id>/deactivate': _only({'anon': 'login'}, 404),
    'POST /admin/residents/<public_id>/reactivate': _only({'anon': 'login'}, 404),
    'GET /admin/staff/': _only({'anon': 'login', 'admin': 200}, 404),
    'GET /admin/staff/<public_id>': _only({'anon': 'login'}, 404),
    'POST /admin/staff/<public_id>': _only({'anon': 'login'}, 404),
    'POST /admin/staff/<public_id>/deactivate': _only({'anon': 'login'}, 404),
    'POST /admin/staff/<public_id>/end-sessions': _only({'anon': 'login'}, 404),
    'POST /admin/staff/<public_id>/reactivate': _only({'anon': 'login'}, 404),
    'POST /admin/staff/<public_id>/reset-password': _only({'anon': 'login'}, 404),
    'POST /admin/staff/<public_id>/reset-two-factor': _only({'anon': 'login'}, 404),
    'GET /admin/staff/new': _only({'anon': 'login', 'admin': 200}, 404),
    'POST /admin/staff/new': _only({'anon': 'login', 'admin': 400}, 404),
    # The procedures section: province admins only (the matrix's admin is a commune admin).
    'GET /admin/procedures/': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/diff': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/discard-draft': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/edit': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/edit': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/level': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/level': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/publish': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/publish': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/unpublish': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/unpublish': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/versions': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/new': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/new': _only({'anon': 'login'}, 404),
    'GET /admin/offices/': _only({'anon': 'login', 'admin': 200}, 404),
    'POST /admin/offices/import': _only({'anon': 'login'}, 404),
    'GET /admin/offices/new': _only({'anon': 'login'}, 404),
    'POST /admin/offices/new': _only({'anon': 'login'}, 404),
    'GET /admin/offices/<agency_code>': _only({'anon': 'login', 'admin': 200}, 404),
    'POST /admin/offices/<agency_code>': _only({'anon': 'login', 'admin': 'redirect'}, 404),
    'POST /admin/offices/<agency_code>/certificate': _only({'anon': 'login'}, 404),
    'POST /admin/offices/<agency_code>/certificate/remove': _only({'anon': 'login'}, 404),
    'GET /admin/offices/<agency_code>/code': _only({'anon': 'login'}, 404),
    'POST /admin/offices/<agency_code>/code': _only({'anon': 'login'}, 404),
    'GET /admin/offices/<agency_code>/deactivate': _only({'anon': 'login'}, 404),
    'POST /admin/offices/<agency_code>/deactivate': _only({'anon': 'login'}, 404),
    'POST /admin/offices/<agency_code>/reactivate': _only({'anon': 'login'}, 404),
    'GET /admin/audit/': _only({'anon': 'login', 'admin': 200}, 404),
    'GET /admin/audit/audit.csv': _only({'anon': 'login', 'admin': 200}, 404),
    'GET /admin/calendar/': _only({'anon': 'login', 'admin': 200}, 404),
    'POST /admin/calendar/': _only({'anon': 'login', 'admin': 400}, 404),
    'POST /admin/calendar/remove': _only({'anon': 'login', 'admin': 400}, 404),
    # The catalogue file and the API keys are the province admins' (the matrix's admin is a
    # commune admin).
    'GET /admin/catalogue/': _only({'anon': 'login'}, 404),
    'POST /admin/catalogue/': _only({'anon': 'login'}, 404),
    'GET /admin/catalogue/export.json': _only({'anon': 'login'}, 404),
    'GET /staff/api-keys/': _only({'anon': 'login'}, 404),
    'POST /staff/api-keys/': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/form': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/form/<part>/<ref>': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/form/<part>/<ref>': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/form/<part>/<ref>/delete': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/form/<part>/<ref>/delete': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/form/<part>/<ref>/move': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/form/discard': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/form/fee': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/form/fee': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/form/new/<part>': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/form/new/<part>': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/form/preview': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/form/preview/handbook': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/form/result': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/form/result': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/<code>/form/result/sample.pdf': _only({'anon': 'login'}, 404),
    'POST /admin/procedures/<code>/form/save': _only({'anon': 'login'}, 404),
    'GET /admin/procedures/form': _only({'anon': 'login'}, 404),
    'POST /staff/api-keys/<prefix>/revoke': _only({'anon': 'login'}, 404),
    'POST /staff/api-keys/webhooks': _only({'anon': 'login'}, 404),
    'POST /staff/api-keys/webhooks/<public_id>/remove': _only({'anon': 'login'}, 404),
    'GET /staff/calendar': _only({'anon': 'login', 'admin': 'redirect'}, 404),
    'GET /staff/counter': _only({'anon': 'login', 'clerk_x': 200, 'clerk_y': 200}, 404),
    'POST /staff/counter': _only({'anon': 'login', 'clerk_x': 400, 'clerk_y': 400}, 404),
    'GET /staff/counter/<public_id>/documents': _only({'anon': 'login'}, 404),
    'POST /staff/counter/<public_id>/documents': _only({'anon': 'login'}, 404),
    'POST /staff/counter/<public_id>/documents/<key>': _only({'anon': 'login'}, 404),
    'GET /staff/counter/<public_id>/edit': _only({'anon': 'login'}, 404),
    'POST /staff/counter/<public_id>/edit': _only({'anon': 'login'}, 404),
    'POST /staff/counter/<public_id>/files/<file_id>/delete': _only({'anon': 'login'}, 404),
    'GET /staff/counter/<public_id>/review': _only({'anon': 'login'}, 404),
    'POST /staff/counter/<public_id>/submit': _only({'anon': 'login'}, 404),
    'GET /staff/dossiers/<code>':
        _only({'anon': 'login', 'resident_a': 404, 'resident_b': 404, 'clerk_y': 404}, 200),
    'POST /staff/dossiers/<code>/<action>':
        _only({'anon': 'login', 'clerk_x': 409, 'officer': 403, 'leader': 403, 'admin': 403}, 404),
    'GET /staff/dossiers/<code>/files/<file_id>':
        _only({'anon': 'login', 'resident_a': 404, 'resident_b': 404, 'clerk_y': 404}, 200),
    'GET /staff/dossiers/<code>/receipts/<payment_id>.pdf': _only({'anon': 'login'}, 404),
    'GET /staff/dossiers/<code>/result':
        _only({'anon': 'login', 'clerk_x': 403, 'officer': 200, 'leader': 200, 'admin': 403}, 404),
    'POST /staff/dossiers/<code>/result':
        _only({'anon': 'login', 'clerk_x': 403, 'officer': 400, 'leader': 400, 'admin': 403}, 404),
    'GET /staff/dossiers/<code>/result.pdf': _only({'anon': 'login'}, 404),
    'POST /staff/dossiers/<code>/result/issue':
        _only({'anon': 'login', 'resident_a': 404, 'resident_b': 404, 'clerk_y': 404}, 400),
    'GET /staff/dossiers/<code>/result/preview.pdf':
        _only({'anon': 'login', 'clerk_x': 403, 'officer': 200, 'leader': 200, 'admin': 403}, 404),
    'GET /staff/dossiers/<code>/slips/<kind>.pdf':
        _only({'anon': 'login', 'resident_a': 404, 'resident_b': 404, 'clerk_y': 404}, 200),
    'GET /staff/inbox': _only({'anon': 'login', 'resident_a': 404, 'resident_b': 404}, 200),
    'GET /staff/ledger': _only({'anon': 'login', 'resident_a': 404, 'resident_b': 404}, 200),
    'GET /staff/ledger.pdf': _only({'anon': 'login', 'resident_a': 404, 'resident_b': 404}, 400),
    'GET /staff/stats/readiness': _only({'anon': 'login', 'admin': 200}, 404),
    'GET /staff/worklist': _only({'anon': 'login', 'resident_a': 404, 'resident_b': 404}, 200),
    'GET /static/<path:filename>': _same(200),
    'GET /stats': _same(200),
    'GET /stats.csv': _same(404),
    'GET /track': _same(200),
    'POST /track': _same(400),
    'GET /verify': _same(200),
    'POST /verify': _same(400),
    'GET /verify/<token>': _same(404),
}
