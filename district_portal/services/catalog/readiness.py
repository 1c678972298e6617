"""Fully-online readiness: can a procedure be done without the resident ever coming in?

`readiness(version_data)` lists why not (an empty list: ready). The catalogue importer refuses
a format-2 procedure published as "full" with any reason; the statistics page lists them.
Works on entries of either catalogue format (format 1 cannot express online payment, signed
scans, post or in-person steps, so its procedures with a fee or without a result template are
never ready).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from district_portal.services.catalog.fees import fee_rules, has_fee


@dataclass(frozen=True)
class Reason:
    """One obstacle: `path` inside the procedure entry (JSON-path style, without the leading
    `$.procedures[i]`), and a translatable message."""

    path: str
    message: object

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def readiness(version_data: dict) -> list[Reason]:
    """Why the procedure cannot be fully online; [] when it can.

    Fully online needs: online payment when it has a fee; a result that reaches the resident
    online (a result template or a signed scan) or by post; no step needing the resident in
    person.
    """
    reasons = []
    if has_fee(version_data) and not fee_rules(version_data).get("online_payment", False):
        path = "fee.online_payment" if isinstance(version_data.get("fee"), dict) else "fee"
        reasons.append(Reason(path, _l("the procedure has a fee but it cannot be paid online")))
    result = version_data.get("result") or {}
    if not (result.get("template") or result.get("signed_scan") or result.get("by_post")):
        reasons.append(Reason("result", _l("the result can neither be delivered online (no "
                                           "result template or signed scan) nor sent by post")))
    for i, step in enumerate(version_data.get("steps", [])):
        if isinstance(step, dict) and step.get("in_person"):
            reasons.append(Reason(f"steps[{i}].in_person",
                                  _l("this step needs the resident in person")))
    return reasons


def step_text(step) -> str:
    """A handbook step of either format as its text."""
    return step.get("text", "") if isinstance(step, dict) else str(step)
