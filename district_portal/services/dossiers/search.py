"""The staff inbox's search box: what a clerk types, turned into one condition on dossiers.

A whole dossier code or tracking code finds that dossier; a part of one ("261128-0001",
"7dpw") finds every dossier whose code or tracking code contains it, in any case; digits are a
phone number; anything else is words of the applicant's name, diacritics and case ignored.

The name is searched through an index of the folded name's trigrams (migration
0013_inbox_counts): on PostgreSQL the LIKE conditions themselves use a pg_trgm GIN index; on
SQLite the words of three letters or more first pick candidates from an FTS5 trigram table
(kept in sync by triggers), and the same LIKE conditions then decide, so the result is exactly
the substring search whichever engine answers. The inbox uses the index for names that are rare;
a frequent one is found sooner by walking the tab in page order (page_order.WALK_ROWS).
"""

from __future__ import annotations

import re

from sqlalchemy import and_, column, func, literal, or_, select, table, text
from sqlalchemy.orm import Session

from district_portal import codes
from district_portal.models import Dossier
from district_portal.phones import PhoneError, parse_phone
from district_portal.text import fold


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Part of a dossier code: its date and number ("261128-0001"), or letters and digits together
# ("T25-261128", "7dpw": part of a code or of a tracking code).
_DATE_AND_NUMBER = re.compile(r"\d{6}-\d{1,4}")
#: Fewer digits than this are part of a code ("0001"), not a phone number.
PHONE_MIN_DIGITS = 9
_CODE_CHARS = re.compile(r"[0-9A-Za-z.\-]{3,60}")


def _ref_part(q: str) -> str | None:
    """A piece of a tracking code as stored (upper case, no dash, O→0, I/L→1), or None."""
    part = q.upper().replace("-", "").translate(str.maketrans("OIL", "011"))
    if 3 <= len(part) <= codes.REF_LENGTH and all(c in codes.REF_ALPHABET for c in part):
        return part
    return None


def _code_or_ref_part(q: str, entity):
    """Dossiers whose code or tracking code contains what was typed, in any case."""
    conds = [entity.code.like(f"%{_like_escape(q.upper())}%", escape="\\")]
    part = _ref_part(q)
    if part is not None:
        conds.append(entity.ref.like(f"%{part}%"))
    return or_(*conds)


#: The SQLite FTS5 trigram table over dossier.applicant_name_search (rowid = dossier.id).
NAME_FTS = table("dossier_name_fts", column("rowid"))
#: Schema objects outside the models: the engines' name indexes (tests/test_migrations.py).
NAME_INDEX_OBJECTS = ("dossier_name_fts", "ix_dossier_name_trgm")
TRIGRAM = 3


def _fts_match(words: list[str]) -> str | None:
    """An FTS5 query for the words a trigram index can find (three letters or more): each
    one a phrase, all of them required. A trigram phrase matches any substring."""
    indexed = [w for w in words if len(w) >= TRIGRAM]
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed) or None


def _fts_rowids(match: str):
    return select(NAME_FTS.c.rowid).where(
        text("dossier_name_fts MATCH :fts_match").bindparams(fts_match=match))


def _by_name(words: list[str], dialect: str, entity):
    likes = [entity.applicant_name_search.like(f"%{_like_escape(w)}%", escape="\\")
             for w in words]
    match = _fts_match(words)
    if dialect == "sqlite" and match:
        likes.insert(0, entity.id.in_(_fts_rowids(match)))
    return and_(*likes)


def name_words(q: str) -> list[str] | None:
    """The folded words of a name search, or None if `q` is searched as something else."""
    q = (q or "").strip()[:100]
    if not q or codes.parse_lookup(q) is not None or _is_code_part(q):
        return None
    digits = q.replace(" ", "").replace(".", "").replace("-", "")
    if digits.lstrip("+").isdigit():
        return None
    return fold(q).split()[:6] or None


def rare(session: Session, words: list[str], cap: int) -> bool:
    """Whether the engine's name index finds fewer than `cap` dossiers (in any office) for
    the words of three letters or more: few enough to read at once. A name of shorter words
    only is never rare: no index finds them."""
    indexed = [w for w in words if len(w) >= TRIGRAM]
    if not indexed:
        return False
    if session.get_bind().dialect.name == "sqlite":
        found = _fts_rowids(_fts_match(indexed))
    else:  # the LIKE conditions go through pg_trgm
        found = select(Dossier.id).where(_by_name(indexed, "", Dossier))
    return session.scalar(select(func.count()).select_from(found.limit(cap).subquery())) < cap


def _is_code_part(q: str) -> bool:
    if _CODE_CHARS.fullmatch(q) and (_DATE_AND_NUMBER.search(q) or (
            re.search(r"\d", q) and re.search(r"[A-Za-z]", q))):
        return True
    digits = q.replace(" ", "").replace(".", "").replace("-", "")
    return digits.isdigit() and len(digits) < PHONE_MIN_DIGITS


def search_condition(q: str, dialect: str = "", entity=Dossier):
    """A dossier code or ref (exact, or a part of one in any case: "261128-0001", "7dpw"), a
    phone number (E.164), or words of the applicant's name (diacritics and case ignored).

    `dialect` names the engine whose name index to use ("sqlite": the FTS5 table; on
    PostgreSQL the LIKE conditions use pg_trgm themselves); "" for plain conditions.
    `entity` is Dossier or an alias of it (the inbox's walk on PostgreSQL)."""
    q = (q or "").strip()[:100]
    if not q:
        return None
    parsed = codes.parse_lookup(q)
    if parsed is not None:
        kind, value = parsed
        return entity.code == value if kind == "code" else entity.ref == value
    if _is_code_part(q):
        return _code_or_ref_part(q, entity)
    digits = q.replace(" ", "").replace(".", "").replace("-", "")
    if digits.lstrip("+").isdigit():
        try:
            return entity.applicant_phone == parse_phone(q)
        except PhoneError:
            return literal(False)
    words = fold(q).split()[:6]
    if not words:
        return None
    by_name = _by_name(words, dialect, entity)
    part = _ref_part(q) if len(words) == 1 and len(q) >= 4 else None
    # A single word may also be part of a tracking code written without digits ("DPWX").
    return or_(by_name, entity.ref.like(f"%{part}%")) if part else by_name
