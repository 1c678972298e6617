"""PDF receipt (form 01) render time: median and p95 over N renders after warm-up; RSS every
100 renders (does it level off?) and peak RSS.

    .venv/bin/python -m bench.receipt [N]

Budget (DESIGN.md §8): median ≤ 150 ms. Runs on a throw-away SQLite database with the demo
catalogue; the timed part is view-model + HTML + WeasyPrint, as a download route would do.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from district_portal import create_app, settle_heap
from district_portal.codes import new_ref
from district_portal.config import TestConfig
from district_portal.db import get_db
from district_portal.migrate import upgrade
from district_portal.models import Dossier, DossierEvent, DossierStatus, Office, Procedure, User
from district_portal.services.accounts.users import ensure_demo_users
from district_portal.services.catalog.importer import demo_catalog_path, import_catalog
from district_portal.services.documents.slips import control_slip, ledger, receipt_for, render_slip

WARM_UP = 5
RSS_EVERY = 100  # renders between two samples of the resident set size
BUDGET_MS = 60  # issue #12 goal for the median; DESIGN §8 allows 150


def _dossier(session) -> Dossier:
    office = session.scalar(select(Office).where(Office.agency_code == "000.00.04.T25"))
    procedure = session.scalar(select(Procedure).where(Procedure.code == "1.004873"))
    clerk = session.scalar(select(User).where(User.email == "clerk@demo.test"))
    submitted = datetime(2026, 3, 3, 2, 15, tzinfo=UTC)
    dossier = Dossier(
        procedure=procedure, procedure_version=procedure.current_version,
        receiving_office=office, handling_office=office, code="000.00.04.T25-260303-0001",
        ref=new_ref(), status=DossierStatus.ACCEPTED, channel="online",
        applicant={"full_name": "Nguyễn Thị Hằng", "address": "Tổ 5, phường Hòa Bình",
                   "id_number": "025190000123"},
        applicant_phone="+84912345678", submitted_at=submitted,
        accepted_at=submitted + timedelta(hours=1), due_at=submitted + timedelta(days=3),
        fee=15000, delivery={"way": "online"})
    session.add(dossier)
    session.add(DossierEvent(dossier=dossier, actor=clerk, action="accept",
                             from_status="submitted", to_status="accepted",
                             at=dossier.accepted_at, data={}))
    session.flush()
    return dossier


def _rss_mib() -> float:
    """This process's resident set size now (Linux /proc), in MiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(n: int = 50) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        config = TestConfig()
        config.DATABASE_URL = url
        config.UPLOAD_DIR = tmp
        app = create_app(config)
        with app.app_context():
            session = get_db(app).writer()
            import_catalog(session, json.loads(demo_catalog_path().read_text("utf-8")),
                           reason="bench")
            ensure_demo_users(session)
            dossier = _dossier(session)
            for _ in range(WARM_UP):
                render_slip(receipt_for(dossier))
            settle_heap()  # as app.py does in a serving process
            times, cpu = [], []
            rss_start = _rss_mib()
            rss_series = [rss_start]  # every RSS_EVERY renders: flat or growing?
            for i in range(n):
                start, start_cpu = time.perf_counter(), time.process_time()
                pdf = render_slip(receipt_for(dossier))
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                if (i + 1) % RSS_EVERY == 0:
                    rss_series.append(_rss_mib())
            rss_end = _rss_mib()
            others = {}
            for name, build in (("control slip (form 05)", control_slip),
                                ("ledger (form 06, 1 row)", lambda d: ledger([d]))):
                for _ in range(3):
                    render_slip(build(dossier))
                spent = []
                for _ in range(max(10, n // 5)):
                    start = time.perf_counter()
                    render_slip(build(dossier))
                    spent.append((time.perf_counter() - start) * 1000)
                others[name] = statistics.median(spent)
            session.rollback()
            session.close()
        get_db(app).engine.dispose()
    times.sort()
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(f"PDF receipt (form 01), {n} renders after {WARM_UP} warm-up, {len(pdf)} bytes")
    print(f"median {median:.1f} ms  p95 {p95:.1f} ms  min {times[0]:.1f} ms  "
          f"max {times[-1]:.1f} ms  (budget: median ≤ {BUDGET_MS} ms: "
          f"{'met' if median <= BUDGET_MS else 'MISSED'})")
    print(f"CPU time per receipt: median {statistics.median(cpu):.1f} ms (less disturbed by "
          f"other work on the machine than the wall-clock figures)")
    print(f"RSS before the {n} timed renders {rss_start:.1f} MiB, after {rss_end:.1f} MiB")
    print(f"RSS every {RSS_EVERY} renders (MiB): "
          + " ".join(f"{value:.1f}" for value in rss_series))
    for name, median_ms in others.items():
        print(f"{name}: median {median_ms:.1f} ms")
    print(f"peak RSS {peak_mib:.1f} MiB  (load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs: other work on the machine slows every figure)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
