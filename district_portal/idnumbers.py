"""Personal ID numbers (số định danh cá nhân, 12 digits) and tax codes (mã số thuế, 10
digits, or 13 with the branch) as people type them: "025 090 001 234", "025.090.001.234" and
"025-090-001-234" are the same number, as "0912 345 678" is the same phone. Pure Python: the
e-form, the tracking form and the services use it. What a user is told when a value is refused
is chosen where it is shown (eform.messages, forms/filing.py)."""

from __future__ import annotations

import re

# Spaces (also non-breaking), dots and dashes (also the typographic ones a phone's keyboard
# may put in) between digit groups.
_SEPARATORS = re.compile("[\\s.\\-\u2010-\u2015\u2212]+")
_ID_NUMBER = re.compile(r"[0-9]{12}")  # ASCII only: \d would accept full-width digits
_TAX_CODE = re.compile(r"[0-9]{10}(?:[0-9]{3})?")
MAX_TYPED = 40  # more than any number written with separators: not worth parsing


def _digits(raw: str) -> str:
    return _SEPARATORS.sub("", raw or "") if len(raw or "") <= MAX_TYPED else raw


def normalise_id_number(raw: str) -> str | None:
    """'025 090 001 234' → '025090001234'; None if it is not 12 digits once the spaces, dots
    and dashes are dropped."""
    digits = _digits(raw)
    return digits if _ID_NUMBER.fullmatch(digits) else None


def normalise_tax_code(raw: str) -> str | None:
    """'0123 456 789' → '0123456789', '0123.456.789 001' → '0123456789-001' (the branch
    after a dash, as the tax office writes it); None if it is neither 10 nor 13 digits."""
    digits = _digits(raw)
    if not _TAX_CODE.fullmatch(digits):
        return None
    return digits if len(digits) == 10 else f"{digits[:10]}-{digits[10:]}"
