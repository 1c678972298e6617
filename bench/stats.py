"""/stats with 100,000 dossiers over two years, on SQLite or PostgreSQL.

    .venv/bin/python -m bench.stats --database-url sqlite:////tmp/bench-stats.sqlite3
    .venv/bin/python -m bench.stats --database-url postgresql+psycopg://postgres@127.0.0.1/x

The database must be empty (it is migrated and seeded here). Dossiers and their events are
bulk-inserted with SQLAlchemy core, spread like three communes' two years: both channels,
transfers, late and overdue dossiers, supplements, extensions, fees paid online and at the
desk, ratings. `seed()` is also what the screenshots of the statistics page use.

Each URL is timed cold (`--cold` requests, each after emptying the statistics cache: the
figures are computed and stored) and warm (`--requests` requests served from the cache).
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select

from bench.inbox import free_port, measure, percentile
from district_portal import create_app, settle_heap
from district_portal.codes import format_dossier_code, new_ref
from district_portal.config import TestConfig
from district_portal.db import get_db
from district_portal.migrate import upgrade
from district_portal.models import (
    Dossier,
    DossierEvent,
    Office,
    Procedure,
    StatsCacheEntry,
    User,
)
from district_portal.services.catalog.fees import headline_amount

COMMUNES = ("000.00.04.T25", "000.00.05.T25", "000.00.06.T25")
OLD = [("returned", 72), ("done", 6), ("not_accepted", 5), ("withdrawn", 2), ("stopped", 2),
       ("in_progress", 3)]
RECENT = [("submitted", 12), ("accepted", 12), ("in_progress", 30),
          ("supplement_requested", 6), ("payment_requested", 3), ("done", 12),
          ("returned", 20), ("not_accepted", 3), ("withdrawn", 2)]
RATINGS = [(5, 50), (4, 30), (3, 12), (2, 5), (1, 3)]
FINAL = {"returned", "done", "not_accepted", "withdrawn", "stopped"}
BATCH = 5000


def _pick(rng, table):
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


def _catalogue(session):
    offices = {o.agency_code: o.id for o in session.scalars(select(Office))}
    procs = [(p.id, p.current_version_id, p.current_version.data)
             for p in session.scalars(select(Procedure)) if p.online_level != "none"]
    clerk = session.scalar(select(User.id).where(User.email == "clerk@demo.test"))
    return offices, procs, clerk


def _dossier(rng, i, now, offices, procs):
    status_table = RECENT if rng.random() < 0.06 else OLD
    status = _pick(rng, status_table)
    days_ago = rng.uniform(0, 30) if status_table is RECENT else rng.uniform(30, 730)
    submitted = now - timedelta(days=days_ago)
    proc_id, version_id, data = procs[min(int(rng.expovariate(0.6)), len(procs) - 1)]
    office = rng.choice(COMMUNES)
    handling = office if rng.random() > 0.03 else rng.choice(COMMUNES)
    limit = max(1, data["processing_time"]["amount"])
    accepted = submitted + timedelta(hours=rng.uniform(0.5, 30)) \
        if status not in ("submitted", "not_accepted", "withdrawn") else None
    due = accepted + timedelta(days=limit * 1.4) if accepted else None
    completed = returned = rating = paused = None
    if status in ("done", "returned", "stopped") and accepted:
        completed = accepted + timedelta(days=rng.uniform(0.2, limit * 1.7))
    elif status == "not_accepted":
        completed = submitted + timedelta(hours=rng.uniform(1, 40))
    if status == "returned":
        returned = completed + timedelta(hours=rng.uniform(1, 48))
        rating = _pick(rng, RATINGS) if rng.random() < 0.4 else None
    if status in ("supplement_requested", "payment_requested"):
        paused = submitted + timedelta(days=rng.uniform(0.1, 3))
    code = format_dossier_code(office, submitted.date(), i % 9999 + 1) + f"-{i}"
    return {
        "id": i + 1, "public_id": f"{i:032x}", "code": code, "ref": None,
        "procedure_id": proc_id, "procedure_version_id": version_id,
        "receiving_office_id": offices[office], "handling_office_id": offices[handling],
        "applicant": {"name": f"Người nộp {i}"}, "applicant_name_search": f"nguoi nop {i}",
        "answers": {}, "status": status,
        "channel": "online" if rng.random() < 0.7 else "counter",
        "created_at": submitted, "updated_at": submitted, "submitted_at": submitted,
        "intake_due_at": submitted + timedelta(days=1), "accepted_at": accepted, "due_at": due,
        "paused_at": paused, "completed_at": completed, "returned_at": returned,
        "delivery": {}, "fee": headline_amount(data),
        "payment_state": "paid" if headline_amount(data) and accepted else "none",
        "result": {}, "rating": rating, "version": 1,
    }


def _events(rng, d, clerk):
    out = []
    base = {"dossier_id": d["id"], "from_status": "accepted", "to_status": "accepted",
            "data": {}}
    if d["fee"] and d["accepted_at"]:
        out.append({**base, "action": "pay", "at": d["accepted_at"] + timedelta(hours=1),
                    "actor_id": None if rng.random() < 0.6 else clerk})
    if d["accepted_at"] and (d["paused_at"] or rng.random() < 0.08):
        out.append({**base, "action": "request_supplement", "actor_id": clerk,
                    "at": d["paused_at"] or d["accepted_at"] + timedelta(days=1)})
    if d["completed_at"] and d["accepted_at"] and rng.random() < 0.02:
        out.append({**base, "action": "extend", "actor_id": clerk,
                    "at": d["completed_at"] - timedelta(hours=2)})
    return out


def seed(app, n: int, seed_value: int = 42) -> None:
    """Insert `n` dossiers over the last two years, with their pay / supplement / extend
    events, into the app's migrated, catalogued database."""
    db = get_db(app)
    with db.transaction() as session:
        offices, procs, clerk = _catalogue(session)
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    dossiers, events = [], []
    for i in range(n):
        d = _dossier(rng, i, now, offices, procs)
        d["ref"] = new_ref()
        dossiers.append(d)
        events.extend(_events(rng, d, clerk))
        if len(dossiers) == BATCH or i == n - 1:
            with db.transaction() as session:
                session.execute(insert(Dossier), dossiers)
                if events:
                    session.execute(insert(DossierEvent), events)
            dossiers, events = [], []
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("SELECT setval('dossier_id_seq', (SELECT max(id) FROM dossier))")
            conn.exec_driver_sql("VACUUM ANALYZE dossier")
            conn.exec_driver_sql("VACUUM ANALYZE dossier_event")
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def make_app(url: str):
    upgrade(url)
    config = TestConfig()
    config.DATABASE_URL = url
    config.TESTING = False
    app = create_app(config)
    from district_portal.services.accounts.users import ensure_demo_users
    from district_portal.services.catalog.importer import demo_catalog_path, import_catalog

    with get_db(app).transaction() as session:
        import_catalog(session, json.loads(demo_catalog_path().read_text("utf-8")),
                       reason="bench")
        ensure_demo_users(session)
    return app


def clear_cache(app) -> None:
    """Forget every computed statistic, so the next request computes (a cold request)."""
    with get_db(app).transaction() as session:
        session.execute(delete(StatsCacheEntry))


def time_url(app, port: int, path: str, cold: int, warm: int) -> tuple[list, list]:
    """`cold` requests each after emptying the statistics cache, then `warm` requests
    served from the entry the last one stored; times in ms."""
    cold_times = []
    for _ in range(cold):
        clear_cache(app)
        cold_times += measure(port, path, None, 1)
    return cold_times, measure(port, path, None, warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-n", type=int, default=100_000, help="dossiers to seed")
    parser.add_argument("--cold", type=int, default=3, help="cold requests per URL")
    parser.add_argument("--requests", type=int, default=20, help="warm requests per URL")
    args = parser.parse_args()
    app = make_app(args.database_url)
    started = time.perf_counter()
    seed(app, args.n)
    print(f"seeded {args.n} dossiers in {time.perf_counter() - started:.1f} s "
          f"({get_db(app).engine.dialect.name})", flush=True)

    from waitress import create_server

    settle_heap()  # as app.py does in a serving process

    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    today = datetime.now(UTC).date()
    two_years = f"start={today.replace(year=today.year - 2):%d/%m/%Y}&end={today:%d/%m/%Y}"
    api_two_years = f"from={today.replace(year=today.year - 2)}&to={today}"
    urls = ["/stats", f"/stats?{two_years}", f"/stats?{two_years}&office=000.00.04.T25",
            f"/stats.csv?table=procedures&{two_years}", "/api/v1/stats",
            f"/api/v1/stats?{api_two_years}"]
    measure(port, "/", None, 2)  # warm up the process
    print(f"{'URL':<62} {'cold p50':>9} {'cold max':>9} {'warm p50':>9} {'warm p95':>9}  ms")
    for path in urls:
        cold, warm = time_url(app, port, path, args.cold, args.requests)
        print(f"{path:<62} {percentile(cold, 50):9.1f} {max(cold):9.1f} "
              f"{percentile(warm, 50):9.1f} {percentile(warm, 95):9.1f}", flush=True)
    server.close()


if __name__ == "__main__":
    main()
