"""The one shape of an error a service raises for the user to read.

Every user-facing refusal derives from ServiceError. Creating one inside a request (or a CLI
command's app context) marks that context as refused, and db.py then rolls the request back
instead of committing it, whether or not a view caught the error to render a page (STYLE.md
rule 14). A refusal that is itself the record (a wrong password counting toward the lockout,
a wrong SMS code counting toward its five tries) says so with `keep_changes=True`.
"""

from __future__ import annotations

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l

REFUSED = "service_refused"  # flask.g flag read by db.py
CHANGED_MEANWHILE = _l("Someone else has just changed this dossier. Reload the page to see "
                       "its current state, then try again.")


class ServiceError(Exception):
    """Refused input or a move not allowed now: `message` (Vietnamese, possibly lazy) is shown
    to the user as it is, with the HTTP `status` that fits."""

    status = 400

    def __init__(self, message, status: int | None = None, *, keep_changes: bool = False):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.keep_changes = keep_changes
        if not keep_changes:
            mark_refused()

    def __str__(self) -> str:
        return str(self.message)


def mark_refused() -> None:
    """Roll the current request (or CLI command) back instead of committing it."""
    if has_app_context():
        setattr(g, REFUSED, True)


def refused() -> bool:
    """Whether a ServiceError (without keep_changes) was raised in the current context."""
    return has_app_context() and bool(g.get(REFUSED))


def clear_refusal() -> None:
    if has_app_context():
        g.pop(REFUSED, None)
