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

from district_portal.services.upload_checks import (
    NOT_ACCEPTED,
    UploadError,
    check_pdf,
    reencode_image,
)

__all__ = ["CHUNK", "StoredFile", "UploadError", "path_of", "remove", "sanitize_filename",
           "sniff", "store", "stored_files"]

CHUNK = 64 * 1024
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
TEMP_PREFIX = ".upload-"  # files being written; `portal purge` removes old ones


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


def _too_large(max_bytes: int) -> UploadError:
    return UploadError(_l("The file is larger than %(mb)d MB. Take a smaller photo "
                          "or scan and try again.", mb=max_bytes // 1048576), 413)


def _receive(stream, out, max_bytes: int) -> int:
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        out.write(chunk)
    return size


def _checked(root: Path, tmp: Path, temps: list[Path]) -> tuple[Path, str]:
    """The file to keep (the upload itself, or its re-encoded image, added to `temps`) and
    its content type."""
    with tmp.open("rb") as fh:
        content_type = sniff(fh.read(16))
    if content_type is None:
        raise UploadError(NOT_ACCEPTED, 400)
    if content_type == "application/pdf":
        check_pdf(tmp)
        return tmp, content_type
    fd, name = tempfile.mkstemp(dir=root, prefix=TEMP_PREFIX)
    os.close(fd)
    temps.append(Path(name))
    reencode_image(tmp, Path(name), content_type)
    return Path(name), content_type


def store(upload_dir: str, stream, max_bytes: int) -> StoredFile:
    """Copy `stream` into the store; refuse empty, oversized and non-PDF/JPEG/PNG content,
    PDFs with active content, and images that do not decode (stored images are re-encoded).

    Durable before it returns: the file's bytes and its directory entry are on disk (fsync),
    so the row that names the file, committed afterwards, never points at a lost file."""
    root = Path(upload_dir)
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=TEMP_PREFIX)
    temps = [Path(tmp_name)]
    try:
        with os.fdopen(fd, "wb") as out:
            size = _receive(stream, out, max_bytes)
        if size == 0:
            raise UploadError(_l("The file is empty. Choose the file again."))
        kept, content_type = _checked(root, temps[0], temps)
        sha, size = _digest(kept)
        if size > max_bytes:
            raise _too_large(max_bytes)
        final = path_of(upload_dir, sha)
        _make_dirs(root, final.parent)
        _fsync_file(kept)
        # Replace even when the same content is already stored: a concurrent removal of an
        # unreferenced copy then leaves this fresh one (see remove_unreferenced).
        os.replace(kept, final)
        _fsync_dir(final.parent)
        return StoredFile(sha, size, content_type)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _make_dirs(root: Path, directory: Path) -> None:
    """Create `directory` under `root`, syncing each parent whose entries changed."""
    missing = []
    current = directory
    while current != root and not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        _fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove(upload_dir: str, sha256: str) -> bool:
    """Delete a stored file (the caller made sure no row names it); True if it existed."""
    path = path_of(upload_dir, sha256)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    _fsync_dir(path.parent)
    return True


def stored_files(upload_dir: str):
    """(sha256, path) of every stored file, and separately the temporary files left by
    uploads that never finished: (stored, temporary)."""
    root = Path(upload_dir)
    stored, temporary = [], []
    if not root.exists():
        return stored, temporary
    for path in root.rglob("*"):
        if path.name.startswith(TEMP_PREFIX) and path.is_file():
            temporary.append(path)
        elif re.fullmatch(r"[0-9a-f]{64}", path.name) and path.is_file():
            stored.append((path.name, path))
    return stored, temporary


def path_of(upload_dir: str, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256 name")
    return Path(upload_dir) / sha256[:2] / sha256[2:4] / sha256
