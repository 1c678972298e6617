"""`flask --app app portal …`: database, catalogue, demo data, users, backups."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from district_portal.db import get_db

portal_cli = AppGroup("portal", help="District Portal administration.")


def _tx():
    return get_db().transaction(write=True)


@portal_cli.command("db-upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the database migrations (the app never migrates itself at start)."""
    from district_portal.migrate import upgrade

    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade(url, revision)
    click.echo(f"Database is at revision {revision}.")


def _read_catalog(path: str):
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        click.echo(f"error: cannot read {path}: {exc}", err=True)
        sys.exit(1)


def _import(doc, reason: str):
    from district_portal.services.catalog.importer import CatalogError, import_catalog

    try:
        with _tx() as session:
            return import_catalog(session, doc, reason=reason)
    except CatalogError as exc:
        click.echo(f"error: the catalogue file is invalid; nothing was imported "
                   f"({len(exc.errors)} error(s)):", err=True)
        for line in exc.errors:
            click.echo(f"  {line}", err=True)
        sys.exit(1)


def _print_report(report) -> None:
    click.echo(
        f"offices: {report.offices_created} created, {report.offices_updated} updated; "
        f"procedures: {report.procedures_created} created, "
        f"{report.procedures_new_version} new version(s), "
        f"{report.procedures_unchanged} unchanged; "
        f"online-level changes logged: {report.level_changes}"
    )
    for line in report.messages:
        click.echo(f"warning: {line}", err=True)


@portal_cli.command("catalog-import")
@click.argument("file", type=click.Path(dir_okay=False))
def catalog_import(file: str) -> None:
    """Validate and import a catalogue file (all or nothing; idempotent by code)."""
    _print_report(_import(_read_catalog(file), reason=f"import of {Path(file).name}"))


@portal_cli.command("catalog-export")
@click.argument("file", type=click.Path(dir_okay=False))
def catalog_export(file: str) -> None:
    """Write the whole catalogue to FILE in the catalogue format."""
    from district_portal.services.catalog.importer import export_catalog

    with get_db().transaction(write=False) as session:
        doc = export_catalog(session)
    Path(file).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", "utf-8")
    click.echo(f"wrote {len(doc['offices'])} offices and {len(doc['procedures'])} procedures "
               f"to {file}")


@portal_cli.command("units-import")
@click.option("--province", "province_code", required=True, type=int,
              help="Official province code, e.g. 25 for Phú Thọ.")
def units_import(province_code: int) -> None:
    """Create the province and its communes as offices, from vietnam-provinces."""
    from district_portal.services.catalog.units import UnknownProvince, import_units

    try:
        with _tx() as session:
            created, kept = import_units(session, province_code)
    except UnknownProvince as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{created} office(s) created with provisional TMP.* agency codes, "
               f"{kept} already present. Set each real agency code before it receives "
               f"dossiers.")


@portal_cli.command("create-user")
@click.option("--email", default=None)
@click.option("--phone", default=None)
@click.option("--password", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              help="citizen, clerk, officer, leader or admin; repeat for several.")
@click.option("--office", "office_code", default=None, help="Agency code of a staff office.")
@click.option("--name", default=None)
@click.option("--title", default=None,
              help="Staff: the position printed under a signature, e.g. \"Phó Chủ tịch\".")
def create_user(email, phone, password, roles, office_code, name, title) -> None:
    """Create an account (staff need --office)."""
    from district_portal.services.accounts.users import UserError
    from district_portal.services.accounts.users import create_user as make_user

    try:
        with _tx() as session:
            user = make_user(session, email=email, phone=phone, password=password,
                             roles=roles, office_code=office_code, full_name=name,
                             job_title=title, phone_verified=True)
            label = user.email or user.phone
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"created {label} with role(s) {', '.join(roles)}")
    if any(r != "citizen" for r in roles):
        click.echo("staff set up two-step login (an authenticator app) at their first login")


@portal_cli.command("reset-two-factor")
@click.option("--email", required=True)
def reset_two_factor(email: str) -> None:
    """Remove an account's two-step login (a lost phone, no recovery codes left): its
    sessions end, and staff enrol again at their next login."""
    from sqlalchemy import select

    from district_portal.models import User
    from district_portal.services.accounts import two_factor
    from district_portal.services.accounts.users import normalize_email

    with _tx() as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is None:
            click.echo(f"error: no account with email {email}", err=True)
            sys.exit(1)
        two_factor.reset(session, user)
    click.echo(f"two-step login removed for {email}; the next login sets it up again")


@portal_cli.command("demo")
def demo() -> None:
    """Load the demonstration catalogue and accounts (safe to run again)."""
    from district_portal.services.accounts.users import ensure_demo_users
    from district_portal.services.catalog.importer import demo_catalog_path

    doc = json.loads(demo_catalog_path().read_text("utf-8"))
    _print_report(_import(doc, reason="demo catalogue"))
    with _tx() as session:
        accounts = ensure_demo_users(session)
    click.echo(f"Demo accounts (password for all: {accounts[0][2]}):")
    for login, role, _password in accounts:
        click.echo(f"  {role:<24} {login}")
    click.echo(f"Open {current_app.config['BASE_URL']}/ and log in at /account/login; staff "
               f"accounts set up two-step login (an authenticator app) at their first login")
    if current_app.config["PORTAL_ENV"] == "development":
        click.echo(f"SMS and email messages (confirmation codes): "
                   f"{current_app.config['BASE_URL']}/dev/outbox")


@portal_cli.command("send-notifications")
@click.option("--limit", default=100, show_default=True, help="At most this many rows.")
def send_notifications(limit: int) -> None:
    """Send due emails and SMS from the outbox (run it every minute from cron or a timer).
    Each message is committed as sent before the next goes out, with no transaction open
    while sending; the run stops trying new messages after PORTAL_NOTIFY_RUN_SECONDS."""
    import time

    from district_portal.services.notifications import send_pending

    deadline = time.monotonic() + current_app.config["NOTIFY_RUN_SECONDS"]
    with get_db().transaction() as session:
        report = send_pending(session, current_app.config, limit=limit,
                              checkpoint=session.commit, deadline=deadline)
    click.echo(f"sent: {report.sent}, to retry: {report.retried}, failed: {report.failed}"
               + (f", left for the next run: {report.left}" if report.left else ""))


@portal_cli.command("notifications-requeue")
def notifications_requeue() -> None:
    """Give every message that failed after all retries a fresh set of tries (after the
    mail server or SMS gateway is back)."""
    from district_portal.services.notifications import requeue_failed

    with _tx() as session:
        count = requeue_failed(session)
    click.echo(f"requeued {count} failed message(s); the next send-notifications run sends "
               f"them")
# --- calendar days -------------------------------------------------------------------------

calendar_day_cli = AppGroup("calendar-day", help="Extra days off and make-up working days.")
@portal_cli.command("payments-reconcile")
@click.option("--older-than", "older_than", type=click.IntRange(min=1), default=15,
              show_default=True, help="Re-check attempts pending longer than this (minutes).")
def payments_reconcile(older_than: int) -> None:
    """Re-check pending online payments through VNPay's query API; record paid ones and
    expire abandoned ones. Each answer is awaited outside any transaction."""
    from district_portal.services.payments import reconcile
    from district_portal.services.payments.vnpay import QueryError

    with get_db().transaction(write=False) as session:
        todo = reconcile.candidates(session, older_than)
    report = reconcile.Report()
    for candidate in todo:
        try:
            answer = reconcile.query(candidate)
        except QueryError as exc:
            report.errors.append(f"{candidate.txn_ref}: {exc}")
            continue
        with _tx() as session:
            reconcile.apply(session, candidate.txn_ref, answer, report)
    click.echo(f"checked {report.checked}: {report.paid} paid, {report.failed} failed, "
               f"{report.expired} expired, {report.left} still pending; "
               f"{len(report.errors)} error(s)")
    for line in report.errors:
        click.echo(f"  {line}", err=True)
    if report.errors:
        sys.exit(1)


portal_cli.add_command(calendar_day_cli)


def _day(value: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@calendar_day_cli.command("add")
@click.option("--date", "day", required=True, help="YYYY-MM-DD")
@click.option("--kind", required=True, type=click.Choice(["off", "work"]))
@click.option("--office", "office_code", default=None,
              help="Agency code; without it the day applies to every office.")
@click.option("--note", default="")
def calendar_day_add(day: str, kind: str, office_code: str | None, note: str) -> None:
    """Add (or change) an extra day off or a make-up working day."""
    from district_portal.services.calendar.days import CalendarDayError, add_day

    try:
        with _tx() as session:
            add_day(session, _day(day), kind, office_code, note)
    except CalendarDayError:
        click.echo(f"error: no office with agency code {office_code}", err=True)
        sys.exit(1)
    click.echo(f"{day}: {kind} for {office_code or 'every office'}")


@calendar_day_cli.command("list")
def calendar_day_list() -> None:
    """Every admin-entered day, by date."""
    from district_portal.services.calendar.days import list_days

    with get_db().transaction(write=False) as session:
        rows = [(d.day.isoformat(), d.kind, o.agency_code if o else "*", d.note)
                for d, o in list_days(session)]
    for day, kind, office, note in rows:
        click.echo(f"{day}  {kind:<4}  {office:<16}  {note}")
    if not rows:
        click.echo("no calendar days")


@calendar_day_cli.command("remove")
@click.option("--date", "day", required=True, help="YYYY-MM-DD")
@click.option("--office", "office_code", default=None)
def calendar_day_remove(day: str, office_code: str | None) -> None:
    """Remove the entry for that date (and office)."""
    from district_portal.services.calendar.days import CalendarDayError, remove_day

    try:
        with _tx() as session:
            removed = remove_day(session, _day(day), office_code)
    except CalendarDayError:
        click.echo(f"error: no office with agency code {office_code}", err=True)
        sys.exit(1)
    if not removed:
        click.echo(f"error: no entry for {day} ({office_code or 'every office'})", err=True)
        sys.exit(1)
    click.echo(f"removed {day} ({office_code or 'every office'})")


from district_portal.cli_api import api_key_cli, webhook_cli  # noqa: E402
from district_portal.cli_files import backup, purge, restore  # noqa: E402

portal_cli.add_command(api_key_cli)
portal_cli.add_command(webhook_cli)
for command in (purge, backup, restore):
    portal_cli.add_command(command)


@portal_cli.command("inbox-recount")
def inbox_recount() -> None:
    """Rebuild the staff inbox's kept tab counts from the dossiers (they are kept in every
    change's transaction; this is for after a bulk load or to check them)."""
    from district_portal.services.dossiers.counts import recount

    with _tx() as session:
        counted = recount(session)
    click.echo(f"inbox counts rebuilt: {counted} dossiers counted")
