"""Inbox latency with many dossiers, next to /procedures in the same run.

    .venv/bin/python -m bench.inbox --database-url sqlite:////tmp/bench.sqlite3 [-n 100000]
    .venv/bin/python -m bench.inbox --database-url postgresql+psycopg://postgres@127.0.0.1/x
    .venv/bin/python -m bench.inbox --database-url URL --reuse   # measure again, no new seed

The database must be empty (it is migrated and seeded here; `--reuse` measures one this bench
seeded before). Dossiers are bulk-inserted with
SQLAlchemy core, not through the services: statuses and due times are spread like a busy
office's, all in the demo commune so that one clerk's inbox holds them. The app runs under
waitress in a thread on a free port; a clerk's session cookie is made with the app's own
session interface, then each URL is requested a bounded number of times.
"""

from __future__ import annotations

import argparse
import http.client
import random
import socket
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from district_portal import create_app, settle_heap
from district_portal.codes import format_dossier_code, new_ref
from district_portal.config import TestConfig
from district_portal.db import get_db
from district_portal.migrate import upgrade
from district_portal.models import Dossier, Office, Procedure, User
from district_portal.text import fold

STATUSES = [("submitted", 10), ("accepted", 10), ("in_progress", 45),
            ("supplement_requested", 5), ("payment_requested", 3), ("done", 7),
            ("returned", 15), ("not_accepted", 2), ("withdrawn", 1), ("stopped", 2)]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]


def seed(app, n: int) -> None:
    db = get_db(app)
    with db.transaction() as session:
        office = session.scalar(select(Office).where(Office.agency_code == "000.00.04.T25"))
        officer_id = session.scalar(select(User.id).where(User.email == "officer@demo.test"))
        procs = list(session.scalars(select(Procedure)))
        versions = {p.id: p.current_version_id for p in procs}
    rng = random.Random(42)
    weights = [w for _s, w in STATUSES]
    names = [s for s, _w in STATUSES]
    now = datetime.now(UTC)
    batch = []
    refs = set()
    for i in range(n):
        status = rng.choices(names, weights)[0]
        submitted = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        proc = procs[i % len(procs)]
        ref = new_ref()
        while ref in refs:
            ref = new_ref()
        refs.add(ref)
        name = rng.choice(NAMES) + f" {i}"
        accepted = status not in ("submitted", "not_accepted", "withdrawn")
        # A third of the accepted dossiers are the demo officer's ("Assigned to me").
        assignee = officer_id if accepted and i % 3 == 0 else None
        batch.append({
            "public_id": f"{i:032x}", "code": format_dossier_code(
                office.agency_code, submitted.date(), i % 9999 + 1) + f"-{i}",
            "ref": ref, "procedure_id": proc.id, "procedure_version_id": versions[proc.id],
            "receiving_office_id": office.id, "handling_office_id": office.id,
            "assignee_id": assignee,
            "applicant": {"name": name, "phone": f"+8491{i:07d}"[:12]},
            "applicant_name_search": fold(name), "applicant_phone": f"+8491{i:07d}"[:12],
            "answers": {}, "status": status, "channel": "online", "created_at": submitted,
            "updated_at": submitted, "submitted_at": submitted,
            "intake_due_at": submitted + timedelta(days=1),
            "accepted_at": submitted + timedelta(hours=2) if accepted else None,
            "due_at": submitted + timedelta(days=rng.randint(0, 15)) if accepted else None,
            "delivery": {}, "fee": 0, "payment_state": "none", "result": {}, "version": 1,
        })
        if len(batch) == 5000:
            with db.transaction() as session:
                session.execute(insert(Dossier), batch)
            batch = []
    if batch:
        with db.transaction() as session:
            session.execute(insert(Dossier), batch)
    # Bulk inserts skip the ORM, so the kept inbox counts are rebuilt as an operator would
    # after a bulk load (`portal inbox-recount`).
    from district_portal.services.dossiers.counts import recount

    with db.transaction() as session:
        recount(session)
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does on a live server after a bulk load: statistics, and the
        # visibility map that lets counts be read from the indexes alone.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE dossier")
            conn.exec_driver_sql("VACUUM ANALYZE inbox_count")
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login_cookie(app, email: str = "clerk@demo.test") -> str:
    """A staff member's cookies, the session signed like the app signs it: a clerk's browser
    that has been here before, so it also holds the stylesheet (`css` = the file's hash, the
    pages link it instead of inlining the rules)."""
    from district_portal.auth import SESSION_KEY
    from district_portal.services.accounts.sessions import start_session

    with get_db(app).transaction() as session:
        clerk = session.scalar(select(User).where(User.email == email))
        token = clerk.get_id()
        sid = start_session(session, clerk)  # a login is a server-side session row
    interface = app.session_interface
    serializer = interface.get_signing_serializer(app)
    value = serializer.dumps({"_user_id": token, "_fresh": True, SESSION_KEY: sid,
                              "staff_seen": int(time.time())})
    stylesheet = app.extensions["asset_hashes"]["app.css"]
    return f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={value}; css={stylesheet}"


def measure(port: int, path: str, cookie: str | None, count: int) -> list[float]:
    times = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Accept-Encoding": "gzip"}
    if cookie:
        headers["Cookie"] = cookie
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            raise SystemExit(f"{path}: HTTP {response.status}")
    conn.close()
    return times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-n", type=int, default=100_000, help="dossiers to seed")
    parser.add_argument("--requests", type=int, default=100, help="requests per URL")
    parser.add_argument("--reuse", action="store_true",
                        help="measure a database this bench already seeded (no new seed)")
    args = parser.parse_args()

    upgrade(args.database_url)
    config = TestConfig()
    config.DATABASE_URL = args.database_url
    config.TESTING = False
    app = create_app(config)
    import json

    from district_portal.services.accounts.users import ensure_demo_users
    from district_portal.services.catalog.importer import demo_catalog_path, import_catalog

    if not args.reuse:
        with get_db(app).transaction() as session:
            import_catalog(session, json.loads(demo_catalog_path().read_text("utf-8")),
                           reason="bench")
            ensure_demo_users(session)
        started = time.perf_counter()
        seed(app, args.n)
        print(f"seeded {args.n} dossiers in {time.perf_counter() - started:.1f} s "
              f"({get_db(app).engine.dialect.name})")

    from waitress import create_server

    settle_heap()  # as app.py does in a serving process

    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    cookie = login_cookie(app)

    # A deep page: follow the "Next page" link 40 times (2,000 rows in), then time that URL.
    import re

    path = "/staff/inbox?tab=all"
    for _ in range(40):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", path, headers={"Cookie": cookie})
        html = conn.getresponse().read().decode()
        conn.close()
        link = re.search(r'rel="next" href="([^"]+)"', html)
        path = link.group(1).replace("&amp;", "&")
    deep = path

    urls = [("/procedures", None), ("/staff/inbox", cookie), ("/staff/inbox?tab=all", cookie),
            ("/staff/inbox?tab=in_progress", cookie), (deep, cookie),
            ("/staff/inbox?tab=all&q=nguyen+van+an+12", cookie),
            ("/staff/inbox?tab=all&q=tran+thi", cookie),
            ("/staff/inbox?tab=mine", login_cookie(app, "officer@demo.test")),
            ("/staff/inbox?tab=to_issue", login_cookie(app, "leader@demo.test"))]
    for path, cookie_ in urls:
        measure(port, path, cookie_, 5)  # warm up
    import os

    print(f"load average before timing: {os.getloadavg()[0]:.1f} (1 min), "
          f"{os.cpu_count()} cores")
    print(f"{'URL':<48} {'p50 ms':>8} {'p95 ms':>8} {'mean':>8}")
    for path, cookie_ in urls:
        times = measure(port, path, cookie_, args.requests)
        label = "/staff/inbox?tab=all&after=<page 41>" if path == deep else path
        print(f"{label:<48} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} "
              f"{statistics.mean(times):8.1f}")
    print(f"load average after: {os.getloadavg()[0]:.1f} (1 min)")
    server.close()


if __name__ == "__main__":
    main()
