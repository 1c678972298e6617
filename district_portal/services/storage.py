"""Uploaded files: checked by content, stored outside static/ under their SHA-256.

The interface (store / path_of) is all the rest of the code knows, so the files can move to
S3-compatible object storage without touching callers.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l

from district_portal.services.errors import ServiceError

CHUNK = 64 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class UploadError(ServiceError):
    """A refused upload; `message` is shown to the user, `status` is the HTTP status."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str


def sanitize_filename(name: str | None) -> str:
    """Keep a readable Vietnamese name but drop any path, control and format characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip().lstrip(".").strip()
    return name[:120] or "tep"


def sniff(head: bytes) -> str | None:
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def _verify_content(path: Path, content_type: str) -> bool:
    if content_type == "application/pdf":
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - 2048))
            return b"%%EOF" in fh.read()
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()
            return image.format in ("JPEG", "PNG")
    except Exception:
        return False


def store(upload_dir: str, stream, max_bytes: int) -> StoredFile:
    """Copy `stream` into the store; refuse empty, oversized and non-PDF/JPEG/PNG content."""
    root = Path(upload_dir)
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError(_l("The file is larger than %(mb)d MB. Take a smaller photo "
                                         "or scan and try again.", mb=max_bytes // 1048576), 413)
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadError(_l("The file is empty. Choose the file again."))
        with tmp.open("rb") as fh:
            content_type = sniff(fh.read(16))
        if content_type is None or not _verify_content(tmp, content_type):
            raise UploadError(_l("Only PDF, JPEG or PNG files are accepted. This file is "
                                 "something else, whatever its name says."), 400)
        sha = digest.hexdigest()
        final = path_of(upload_dir, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp.unlink()
        else:
            os.replace(tmp, final)
        return StoredFile(sha, size, content_type)
    finally:
        if tmp.exists():
            tmp.unlink()


def path_of(upload_dir: str, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256 name")
    return Path(upload_dir) / sha256[:2] / sha256[2:4] / sha256
