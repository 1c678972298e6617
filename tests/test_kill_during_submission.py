"""kill -9 of the server while residents submit (issue 11, "fault tests in CI"): every dossier
is either wholly submitted (code, time, event, counter) or still a draft with nothing of a
submission, on both engines; the codes that were given stay gap-free and the day's counter
agrees with them. A real waitress process is killed, not a thread."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import select

from district_portal.db import get_db
from district_portal.models import Dossier, DossierCounter, DossierEvent, DossierStatus
from tests.helpers import OFFICE, free_port
from tests.test_filing_concurrency import _prepare_drafts
from tests.test_multiprocess import Site, _wait_up

ROOT = Path(__file__).resolve().parent.parent
N = 24


def _serve(app, tmp_path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "PORTAL_ENV": "production", "PORTAL_SECRET_KEY": secrets.token_hex(32),
           "PORTAL_DATABASE_URL": app.config["DATABASE_URL"],
           "PORTAL_UPLOAD_DIR": app.config["UPLOAD_DIR"],
           "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
           "PORTAL_SMS_LOG_FILE": str(tmp_path / "sms.log"),
           "PORTAL_MAIL_LOG_FILE": str(tmp_path / "mail.log")}
    proc = subprocess.Popen([sys.executable, "-m", "waitress", "--host=127.0.0.1",
                             f"--port={port}", "--threads=8", "app:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_up(port, proc)
    return proc, port


def test_a_server_killed_during_submissions_leaves_whole_dossiers_or_drafts(fresh_app,
                                                                           tmp_path):
    app = fresh_app()
    _, ids = _prepare_drafts(app, N)
    proc, port = _serve(app, tmp_path)
    try:
        site = Site(port)
        assert site.login() == 302
        token = site.token("/my/dossiers")
        answered: dict[str, int] = {}
        first = threading.Event()
        barrier = threading.Barrier(N, timeout=60)

        def submit(public_id: str) -> None:
            client = Site(port)
            client.cookies = dict(site.cookies)
            barrier.wait()
            try:
                status = client.post(f"/my/dossiers/{public_id}/submit",
                                     {"csrf_token": token, "nonce": f"n-{public_id}"})[0]
            except OSError:  # the server died under this request
                return
            answered[public_id] = status
            first.set()

        threads = [threading.Thread(target=submit, args=(i,)) for i in ids]
        for thread in threads:
            thread.start()
        assert first.wait(60), "no submission was answered"
        proc.send_signal(signal.SIGKILL)  # mid-flight: others are still being submitted
        for thread in threads:
            thread.join(60)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)

    with get_db(app).transaction() as session:
        rows = {d.public_id: d for d in session.scalars(
            select(Dossier).where(Dossier.public_id.in_(ids)))}
        submits = {e.dossier_id for e in session.scalars(
            select(DossierEvent).where(DossierEvent.action == "submit"))}
        filed = [d for d in rows.values() if d.status == DossierStatus.SUBMITTED]
        for d in rows.values():
            if d.status == DossierStatus.SUBMITTED:
                assert d.code and d.submitted_at and d.id in submits, d.public_id
            else:  # untouched: nothing of a submission was left behind
                assert d.status == DossierStatus.DRAFT, (d.public_id, d.status)
                assert d.code is None and d.submitted_at is None and d.id not in submits
        for public_id, status in answered.items():
            if status == 303:  # the resident was told it was filed: it is
                assert rows[public_id].status == DossierStatus.SUBMITTED
        assert filed, "at least the answered submission is there"
        numbers = sorted(int(d.code.rsplit("-", 1)[1]) for d in filed)
        assert numbers == list(range(1, len(filed) + 1))  # gap-free, no duplicate
        counters = session.scalars(select(DossierCounter).where(
            DossierCounter.office_id == filed[0].receiving_office_id)).all()
        assert sum(c.last_number for c in counters) == len(filed)
        assert all(d.receiving_office.agency_code == OFFICE for d in filed)
