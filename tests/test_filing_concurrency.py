"""50 residents' drafts submitted at the same moment get 50 distinct, gap-free codes."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from district_portal import codes
from district_portal.db import get_db
from district_portal.models import Dossier, DossierStatus
from district_portal.services.catalog import queries
from district_portal.services.dossiers import filing
from district_portal.text import LOCAL_TZ
from tests.helpers import OFFICE, ClientRequest, applicant_answers, login, user_by_email

N = 50
MARITAL = "1.004873"  # no mandatory document: a draft is complete with its answers


def _prepare_drafts(app, n: int = N) -> tuple[object, list[str]]:
    answers = applicant_answers(applicant_office=OFFICE, full_name="Nguyễn Văn Đồng Thời",
                                birth_date="1990-05-01", id_number="025190000777",
                                marital_status="chua_ket_hon", purpose="ket_hon")
    with app.test_request_context(), get_db(app).transaction() as session:
        user = user_by_email(session, "resident@demo.test")
        procedure = queries.published_procedure(session, MARITAL)
        ids = []
        for _ in range(n):
            draft = filing.start_draft(session, user, procedure)
            form = filing.DossierForm(filing.form_specs(draft), answers)
            assert form.validate(), form.errors
            filing.save_answers(session, draft, form)
            ids.append(draft.public_id)
    return user, ids


def test_fifty_parallel_submissions_get_distinct_gap_free_codes(fresh_app):
    app = fresh_app()
    user, ids = _prepare_drafts(app)
    barrier = threading.Barrier(N, timeout=60)
    results: dict[str, tuple[int, float, float]] = {}
    errors: list[BaseException] = []

    def file_one(public_id: str) -> None:
        try:
            client = app.test_client()
            login(client, user)
            token = ClientRequest(client).token()
            barrier.wait()  # every thread posts at once
            start = time.monotonic()
            response = client.post(f"/my/dossiers/{public_id}/submit",
                                   data={"csrf_token": token, "nonce": f"n-{public_id}"})
            results[public_id] = (response.status_code, start, time.monotonic())
        except BaseException as exc:  # reported below, never lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=file_one, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sorted(code for code, _, _ in results.values()) == [303] * N
    # The requests really overlapped: some started before others had finished.
    first_end = min(end for _, _, end in results.values())
    assert sum(1 for _, start, _ in results.values() if start < first_end) > 1

    with get_db(app).transaction() as session:
        rows = session.scalars(select(Dossier).where(Dossier.public_id.in_(ids))).all()
        assert {d.status for d in rows} == {DossierStatus.SUBMITTED}
        days = {d.submitted_at.astimezone(LOCAL_TZ).date() for d in rows}
        assert len(days) == 1
        (day,) = days
        expected = {codes.format_dossier_code(OFFICE, day, n) for n in range(1, N + 1)}
        assert {d.code for d in rows} == expected
        assert len({d.ref for d in rows}) == N
        assert all(codes.is_valid_ref(d.ref) for d in rows)


def test_the_same_submission_sent_five_times_at_once_files_one_dossier(fresh_app):
    """A 2G browser resending the form while the first POST is still running."""
    app = fresh_app()
    user, (public_id, second) = _prepare_drafts(app, 2)
    barrier = threading.Barrier(5, timeout=60)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def resend() -> None:
        try:
            client = app.test_client()
            login(client, user)
            token = ClientRequest(client).token()
            barrier.wait()
            response = client.post(f"/my/dossiers/{public_id}/submit",
                                   data={"csrf_token": token, "nonce": "one-nonce"})
            statuses.append(response.status_code)
            assert response.headers.get("Location", "").endswith(
                f"/my/dossiers/{public_id}?filed=1"), response.get_data(as_text=True)[:500]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=resend) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert statuses == [303] * 5
    client = app.test_client()
    login(client, user)
    token = ClientRequest(client).token()
    client.post(f"/my/dossiers/{second}/submit", data={"csrf_token": token, "nonce": "two"})
    with get_db(app).transaction() as session:
        rows = session.scalars(select(Dossier).where(Dossier.public_id.in_(
            [public_id, second]))).all()
        assert sorted(d.code[-4:] for d in rows) == ["0001", "0002"]  # no gap
        first = next(d for d in rows if d.public_id == public_id)
        assert [e.action for e in first.events] == ["submit"]
