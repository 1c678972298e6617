"""Dossiers and their workflow: filing, the transition table, codes, the inbox."""

# Keeps the staff inbox's tab counts on every flush that changes a dossier (whoever flushes).
from district_portal.services.dossiers import counts as _counts  # noqa: E402,F401
