"""Refresh the Vietnamese catalogue: extract every UI string, keep existing translations, add
new ones from JSON files (msgid → Vietnamese), and list what is still missing.

    .venv/bin/python tools/i18n.py [new-translations.json ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "district_portal/translations/vi/LC_MESSAGES/messages.po"


def extract(pot: Path) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    str(ROOT / "babel.cfg"), "-k", "lazy_gettext", "-k", "_l", "-o", str(pot),
                    "--no-location", "--omit-header", str(ROOT)],
                   check=True, capture_output=True)


def main(paths: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        pot_path = Path(tmp) / "messages.pot"
        extract(pot_path)
        with pot_path.open("rb") as fh:
            pot = read_po(fh)
    old = Catalog(locale="vi")
    if PO.exists():
        with PO.open("rb") as fh:
            old = read_po(fh, locale="vi")
    new: dict[str, str] = {}
    for path in paths:
        new.update(json.loads(Path(path).read_text("utf-8")))
    out = Catalog(locale="vi", project="District Portal", charset="utf-8", fuzzy=False)
    missing = []
    for msg in pot:
        if not msg.id:
            continue
        key = msg.id if isinstance(msg.id, str) else msg.id[0]
        value = new.get(key)
        previous = old.get(msg.id)
        if value is None and previous is not None:
            first = previous.string if isinstance(previous.string, str) else previous.string[0]
            if first:
                value = previous.string
        if value is None:
            missing.append(key)
            value = ""
        if isinstance(msg.id, tuple) and isinstance(value, str):
            value = (value,)
        out.add(msg.id, value)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, out, width=100, sort_output=True)
    for key in missing:
        print("missing:", json.dumps(key, ensure_ascii=False))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
