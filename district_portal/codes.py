"""Dossier codes and resident lookup refs.

Two identifiers are handed to residents:

* The **dossier code** (mã hồ sơ), ``{agency_code}-{yyMMdd}-{NNNN}``, e.g.
  ``000.00.17.H29-261125-0001``.  ``NNNN`` is a per-receiving-office,
  per-local-day counter, zero-padded to four digits; it grows past four
  digits instead of failing once 9999 is exceeded.
* The **ref** (mã tra cứu), eight Crockford base32 characters: seven random
  characters plus one Luhn mod N (N = 32) check character.  It is displayed
  as ``XXXX-XXXX`` and stored without the dash.

Luhn mod 32 detects every single-character substitution.  It detects every
adjacent transposition *except* swapping ``0`` and ``Z`` (code points 0 and
N - 1), the same blind spot that makes Luhn mod 10 miss ``09`` <-> ``90``.
:func:`new_ref` therefore never issues a ref in which ``0`` and ``Z`` sit next
to each other (check character included), so for every issued ref, every
adjacent transposition yields an invalid ref.

This module is pure Python: no Flask or SQLAlchemy imports.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import date, datetime

__all__ = [
    "AGENCY_CODE_RE",
    "DOSSIER_CODE_RE",
    "REF_ALPHABET",
    "REF_LENGTH",
    "check_char",
    "format_dossier_code",
    "format_ref",
    "is_valid_ref",
    "looks_like_dossier_code",
    "new_ref",
    "normalize_ref",
    "parse_lookup",
]

# --------------------------------------------------------------------------
# Dossier codes
# --------------------------------------------------------------------------

_AGENCY_PATTERN = r"[0-9A-Z][0-9A-Z.]{2,31}"

#: An agency (receiving office) code such as ``000.00.17.H29``.
AGENCY_CODE_RE = re.compile(rf"^{_AGENCY_PATTERN}$")

#: A full dossier code in canonical (upper-case) form.  The date part must
#: have a plausible month (01-12) and day (01-31); the counter is exactly four
#: digits (not ``0000``) or five or more digits without a leading zero, which
#: is exactly what :func:`format_dossier_code` produces.
DOSSIER_CODE_RE = re.compile(
    rf"^(?P<agency>{_AGENCY_PATTERN})"
    r"-(?P<date>\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"-(?P<number>(?!0000)\d{4}|[1-9]\d{4,})$"
)


def format_dossier_code(agency_code: str, local_date: date, number: int) -> str:
    """Build a dossier code ``{agency_code}-{yyMMdd}-{NNNN}``.

    ``agency_code`` must already be canonical (match :data:`AGENCY_CODE_RE`;
    it is not upper-cased for you).  ``local_date`` is the receiving office's
    *local* calendar day; a ``datetime`` is refused because an aware UTC
    timestamp silently gives the wrong day around midnight.  ``number`` is
    the 1-based counter for that office and day; it is zero-padded to four
    digits and simply gets longer past 9999.

    Raises ``TypeError`` for wrong argument types and ``ValueError`` for an
    invalid agency code or a counter below 1.
    """
    if not isinstance(agency_code, str):
        raise TypeError("agency_code must be a str")
    if not AGENCY_CODE_RE.fullmatch(agency_code):
        raise ValueError(f"invalid agency code: {agency_code!r}")
    if isinstance(local_date, datetime) or not isinstance(local_date, date):
        raise TypeError("local_date must be a datetime.date (not a datetime)")
    if isinstance(number, bool) or not isinstance(number, int):
        raise TypeError("number must be an int")
    if number < 1:
        raise ValueError("number must be >= 1")
    return f"{agency_code}-{local_date:%y%m%d}-{number:04d}"


def _canonical_dossier_code(text: object) -> str | None:
    """Return the trimmed, upper-cased code if it is a dossier code."""
    if not isinstance(text, str):
        return None
    candidate = text.strip().upper()
    match = DOSSIER_CODE_RE.fullmatch(candidate)
    if match is None:
        return None
    # The regex only bounds month and day; reject impossible dates such as
    # 31 February.  The century is unknown, so check against 2000-2099
    # (2000 is a leap year, so 29 February is accepted for yy = 00).
    try:
        datetime.strptime("20" + match["date"], "%Y%m%d")
    except ValueError:
        return None
    return candidate


def looks_like_dossier_code(text: object) -> bool:
    """Tell whether ``text`` is a dossier code.

    Case-insensitive and tolerant of surrounding whitespace.  The date part
    must be a real calendar date.  Non-string input returns ``False``.
    """
    return _canonical_dossier_code(text) is not None


# --------------------------------------------------------------------------
# Refs (mã tra cứu)
# --------------------------------------------------------------------------

#: Crockford base32 alphabet; a character's index is its Luhn code point.
REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REF_LENGTH = 8
_PAYLOAD_LENGTH = REF_LENGTH - 1
_N = len(REF_ALPHABET)
_CODE_POINT = {ch: i for i, ch in enumerate(REF_ALPHABET)}

# The only adjacent pair Luhn mod 32 cannot detect when swapped.
_BLIND_PAIRS = ("0Z", "Z0")

# Crockford decoding aliases applied by normalize_ref (after upper-casing).
_ALIASES = {"O": "0", "I": "1", "L": "1"}

# Characters that are not dashes in Unicode's eyes (category Pd) but that
# people paste or type as one.
_EXTRA_SEPARATORS = frozenset(
    "\u00ad"  # soft hyphen
    "\u2043"  # hyphen bullet
    "\u2212"  # minus sign
    "\u200b"  # zero width space
    "\u200c"  # zero width non-joiner
    "\u200d"  # zero width joiner
    "\u2060"  # word joiner
    "\ufeff"  # zero width no-break space / BOM
)


def _luhn_sum(chars: str, first_factor: int) -> int:
    """Luhn mod N sum over ``chars``, factors alternating from the right."""
    factor = first_factor
    total = 0
    for ch in reversed(chars):
        addend = factor * _CODE_POINT[ch]
        total += addend // _N + addend % _N  # sum of the base-N digits
        factor = 1 if factor == 2 else 2
    return total


def check_char(payload7: str) -> str:
    """Return the Luhn mod 32 check character for a 7-character payload.

    ``payload7`` must be exactly seven canonical (upper-case) Crockford
    characters, otherwise ``ValueError`` is raised.
    """
    if not isinstance(payload7, str):
        raise TypeError("payload7 must be a str")
    if len(payload7) != _PAYLOAD_LENGTH or any(
        ch not in _CODE_POINT for ch in payload7
    ):
        raise ValueError(f"payload must be {_PAYLOAD_LENGTH} Crockford characters")
    remainder = _luhn_sum(payload7, first_factor=2) % _N
    return REF_ALPHABET[(_N - remainder) % _N]


def is_valid_ref(ref8: object) -> bool:
    """Tell whether ``ref8`` is a canonical ref with a correct check character.

    Canonical means exactly eight upper-case Crockford characters with no
    dash; use :func:`normalize_ref` for anything a person typed.
    """
    if not isinstance(ref8, str) or len(ref8) != REF_LENGTH:
        return False
    if any(ch not in _CODE_POINT for ch in ref8):
        return False
    return _luhn_sum(ref8, first_factor=1) % _N == 0


def new_ref() -> str:
    """Generate a new random ref: 7 random characters plus a check character.

    Randomness comes from :mod:`secrets`.  Refs in which ``0`` and ``Z`` are
    adjacent are re-drawn (about 1.3% of draws) because that swap is the one
    transposition Luhn mod 32 cannot detect.  Returns the canonical
    8-character form without a dash; uniqueness is the caller's job.
    """
    while True:
        payload = "".join(secrets.choice(REF_ALPHABET) for _ in range(_PAYLOAD_LENGTH))
        ref = payload + check_char(payload)
        if not any(pair in ref for pair in _BLIND_PAIRS):
            return ref


def format_ref(ref8: str) -> str:
    """Format a canonical ref for display as ``XXXX-XXXX``.

    Raises ``ValueError`` if ``ref8`` is not a valid canonical ref.
    """
    if not is_valid_ref(ref8):
        raise ValueError(f"not a valid ref: {ref8!r}")
    return f"{ref8[:4]}-{ref8[4:]}"


def _is_separator(ch: str) -> bool:
    return (
        ch.isspace()
        or ch in _EXTRA_SEPARATORS
        or unicodedata.category(ch) == "Pd"
    )


def normalize_ref(user_input: object) -> str | None:
    """Turn what a person typed into a canonical ref, or ``None``.

    Tolerates any case, whitespace, any Unicode dash or hyphen (and a few
    look-alikes such as the minus sign and zero-width characters), full-width
    characters, and the Crockford aliases O -> 0 and I/L -> 1.  ``U`` and any
    other character outside the alphabet are rejected.  The result must be
    eight characters with a correct check character.
    """
    if not isinstance(user_input, str):
        return None
    # NFKC folds full-width forms ("ＡＢＣ") and other compatibility variants.
    text = unicodedata.normalize("NFKC", user_input)
    out = []
    for ch in text:
        if _is_separator(ch):
            continue
        upper = ch.upper()
        upper = _ALIASES.get(upper, upper)
        if upper not in _CODE_POINT:  # also rejects multi-char uppercases
            return None
        out.append(upper)
        if len(out) > REF_LENGTH:
            return None
    ref = "".join(out)
    return ref if is_valid_ref(ref) else None


# --------------------------------------------------------------------------
# Tracking form
# --------------------------------------------------------------------------


def parse_lookup(user_input: object) -> tuple[str, str] | None:
    """Classify what a resident typed into the tracking form.

    Returns ``("code", CODE)`` with the upper-cased, trimmed dossier code,
    ``("ref", REF)`` with the canonical 8-character ref, or ``None`` when the
    input is neither.  The two forms cannot be confused: a dossier code has
    at least 13 characters besides its dashes, a ref exactly 8.
    """
    code = _canonical_dossier_code(user_input)
    if code is not None:
        return ("code", code)
    ref = normalize_ref(user_input)
    if ref is not None:
        return ("ref", ref)
    return None
