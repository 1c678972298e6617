"""Personal queues of the staff inbox: what is assigned to me (an officer) and the results
waiting for me to issue (a leader), the worklist's "mine, due soon", and the email that tells
leaders a result is waiting. Read-only query builders and one verb that queues an email.

Which tabs a person sees, and which one the inbox opens on, follows their roles: an officer
works from "Được giao cho tôi", a leader from "Chờ ban hành"; a clerk (who may also hold those
roles in a small commune) opens on the new dossiers.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from district_portal.models import Dossier, DossierStatus, Role, User
from district_portal.services import notifications
from district_portal.services.calendar.days import calendar_for
from district_portal.services.dossiers.workflow import (
    OPEN_STATUSES,
    PROCESSING_STATUSES,
)

#: Open dossiers assigned to someone: every open status (a dossier only gets an assignee once
#: accepted), in the enum's order.
ASSIGNED_STATUSES = tuple(s for s in DossierStatus if s in OPEN_STATUSES)
#: Results are issued from the statuses `complete` starts from.
ISSUE_STATUSES = PROCESSING_STATUSES
#: The worklist's horizon for my own dossiers.
MINE_DUE_WORKING_DAYS = 3

# tab key → the role that sees it
PERSONAL_TABS = {"mine": Role.OFFICER, "to_issue": Role.LEADER}


def has_prepared_result():
    """A prepared result exists (what the leader issues, documents/issuing.py): preparing one
    gives the dossier its verification token, in the same transaction, and nothing else gives
    one before `complete`; so the kept counts (counts.py) count this tab from the dossier."""
    return Dossier.verification_token.is_not(None)


def conditions(tab_key: str, user: User | None) -> list:
    """Extra conditions of a personal tab for `user` (none for the office's tabs)."""
    if tab_key == "mine":
        return [Dossier.assignee_id == (user.id if user is not None else -1)]
    if tab_key == "to_issue":
        # The leader of the handling office issues (the `complete` row of the table).
        return [Dossier.handling_office_id == (user.office_id if user is not None else -1),
                has_prepared_result()]
    return []


def visible_tabs(user: User | None, keys) -> list[str]:
    """The tab keys `user` sees: the office's tabs, and the personal tabs of their roles."""
    return [k for k in keys if k not in PERSONAL_TABS or
            (user is not None and user.has_role(PERSONAL_TABS[k]))]


def default_tab(user: User | None) -> str:
    """A clerk opens on the new dossiers; an officer on theirs; a leader on results to issue."""
    if user is None or user.has_role(Role.CLERK):
        return "new"
    if user.has_role(Role.OFFICER):
        return "mine"
    if user.has_role(Role.LEADER):
        return "to_issue"
    return "new"


def mine_due_soon(session: Session, user: User | None, now: datetime,
                  limit: int = 200) -> tuple[list[Dossier], bool]:
    """Open dossiers assigned to `user` that fall due between now and three working days from
    now (on their office's calendar), by due time; and whether there were more than `limit`."""
    if user is None or not user.has_role(Role.OFFICER):
        return [], False
    cutoff = calendar_for(session, user.office).add_working_days(now, MINE_DUE_WORKING_DAYS)
    rows = list(session.scalars(
        select(Dossier).where(Dossier.assignee_id == user.id,
                              Dossier.status.in_(ASSIGNED_STATUSES),
                              Dossier.due_at >= now, Dossier.due_at <= cutoff)
        .options(selectinload(Dossier.procedure))
        .order_by(Dossier.due_at, Dossier.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def announce_result_waiting(session: Session, dossier: Dossier) -> None:
    """Email the leaders of the handling office: a result is prepared and waits for issue.
    Written to the outbox in the caller's transaction (sent after commit)."""
    with force_locale("vi"):
        subject = gettext("Result waiting for issue")
        text = gettext("Dossier %(code)s (%(procedure)s): the result is prepared and waits "
                       "for you to issue it: %(url)s", code=dossier.code,
                       procedure=dossier.procedure_version.data.get("name", ""),
                       url=f"{current_app.config['BASE_URL'].rstrip('/')}"
                           f"/staff/dossiers/{dossier.code}/result")
    notifications.notify_staff(session, dossier, dossier.handling_office, subject, text,
                               roles=(str(Role.LEADER),))
