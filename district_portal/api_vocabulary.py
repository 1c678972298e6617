"""Words the API keys' forms and services share (so neither imports the other): the scopes a
key may hold and the shortest webhook secret accepted."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SCOPE_CHANGES = "dossiers:changes"
SCOPES = {SCOPE_CHANGES: _l("Read the dossier changes feed and receive its webhooks")}
MIN_SECRET = 16  # characters of a webhook signing secret
