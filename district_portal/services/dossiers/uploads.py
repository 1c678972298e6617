"""The files chosen on a whole page: every button of the documents, supplement and counter
pages sends them, so a file chosen and not uploaded with its own button is never dropped.

Also the supplement itself: the chosen files, the corrected answers and the request to send,
in that order, so a refused answer does not cost the resident the files just sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from district_portal.eform import DossierForm
from district_portal.models import Dossier, User
from district_portal.services import errors
from district_portal.services.dossiers import filing
from district_portal.services.dossiers.filing import FilingError


@dataclass
class Refusal:
    """A chosen file that was not kept: its document, its name and why."""

    key: str
    name: str
    message: object
    status: int


@dataclass
class ChosenFiles:
    """What became of the files chosen on a page."""

    added: list[str] = field(default_factory=list)  # document keys, in page order
    refused: list[Refusal] = field(default_factory=list)

    @property
    def status(self) -> int:
        """The page's status when something was refused: 413 if a file was too large."""
        return max((r.status for r in self.refused), default=200)


def add_chosen_files(session: Session, dossier: Dossier, files: Mapping, uploader: User | None,
                     kind: str = "applicant") -> ChosenFiles:
    """Store the file chosen for each document of the procedure (inputs left empty are
    ignored). A refused file adds nothing and is reported; the other files are kept, so the
    refusal alone does not roll the request back."""
    was_refused = errors.refused()
    outcome = ChosenFiles()
    for doc in dossier.procedure_version.data.get("documents", []):
        upload = files.get(doc["key"])
        if upload is None or not getattr(upload, "filename", None):
            continue
        try:
            filing.add_attachment(session, dossier, doc["key"], upload, uploader, kind=kind)
        except FilingError as exc:
            outcome.refused.append(Refusal(doc["key"], upload.filename, exc.message,
                                           exc.status))
        else:
            outcome.added.append(doc["key"])
    if outcome.refused and not was_refused:
        # A refusal here happens before anything is written; what was added stays.
        errors.clear_refusal()
    return outcome


def send_supplement(session: Session, dossier: Dossier, actor: User, form: DossierForm,
                    files: Mapping) -> ChosenFiles:
    """The supplement page's "send": store the chosen files, then, if none was refused and
    the answers are valid, send the supplement (filing.answer_supplement; a WorkflowError
    from it rolls the request back). With a refused file or invalid answers nothing is sent,
    the files that were accepted are kept, and the caller shows the page again (form.errors
    says what to correct)."""
    chosen = add_chosen_files(session, dossier, files, actor, kind="supplement")
    if chosen.refused or not form.validate():
        return chosen
    filing.answer_supplement(session, dossier, actor, form)
    return chosen


# --- the short link in the supplement request's SMS -----------------------------------------


def answer_link(dossier: Dossier) -> str:
    """Where to answer a supplement request, short enough for one SMS: /supplement/<ref>."""
    return current_app.config["BASE_URL"].rstrip("/") + f"/supplement/{dossier.ref}"


def answer_hint(dossier: Dossier) -> str:
    """The end of the supplement request's SMS: the short link for a dossier filed online,
    the office for one taken at the counter (its applicant has no account to answer with)."""
    if dossier.channel == "online" and dossier.ref:
        return str(_l("Answer here: %(url)s", url=answer_link(dossier)))
    return str(_l("Bring it to the office where you filed"))

