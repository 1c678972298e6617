"""What an uploaded file really is: a PDF checked by its structure, an image re-encoded.

- A PDF must parse (pypdf), have at least one page, end at its last %%EOF (nothing hidden
  after it) and carry no active content: JavaScript (also as /OpenAction or /AA actions),
  launch, import or submit actions, embedded or attached files, rich media or XFA forms.
- A JPEG or PNG is decoded and written again by Pillow, so what is stored is an image and only
  an image: metadata (EXIF with GPS, comments, text chunks) and anything appended are gone; a
  photo keeps its orientation; JPEG quality stays at 88.
Each check raises UploadError with a message that says what to do.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from flask_babel import lazy_gettext as _l

from district_portal.services.errors import ServiceError

log = logging.getLogger(__name__)

MAX_PDF_OBJECTS = 200_000  # objects walked while looking for active content
MAX_IMAGE_PIXELS = 50_000_000  # a 50-megapixel photo at most (decompression bombs)
JPEG_QUALITY = 88
# Keys and action types that make a PDF do something when opened or clicked.
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/EF", "/EmbeddedFile", "/EmbeddedFiles",
                         "/RichMedia", "/XFA"})
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/SubmitForm",
                            "/RichMediaExecute", "/GoToE"})
ACTIVE_TYPES = frozenset({"/EmbeddedFile", "/FileAttachment", "/RichMedia", "/Screen",
                          "/Movie", "/Sound"})
_AFTER_EOF = re.compile(rb"[\s\x00]*")


class UploadError(ServiceError):
    """A refused upload; `message` is shown to the user, `status` is the HTTP status."""


NOT_ACCEPTED = _l("Only PDF, JPEG or PNG files are accepted. This file is something else, "
                  "whatever its name says.")


def check_pdf(path: Path) -> None:
    """Refuse a file that is not a well-formed PDF with pages, or that holds active content."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    _check_tail(path)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadError(_l("This PDF is protected by a password. Save it without a "
                                 "password and try again."))
        pages = len(reader.pages)
        active = _active_content(reader)
    except UploadError:
        raise
    except (PdfReadError, ValueError, TypeError, KeyError, AttributeError, RecursionError,
            OSError, NotImplementedError) as exc:
        log.info("PDF refused, does not parse: %s", exc)
        raise UploadError(NOT_ACCEPTED) from None
    if pages == 0:
        raise UploadError(_l("This PDF has no pages. Scan or save the document again."))
    if active:
        log.info("PDF refused, active content: %s", active)
        raise UploadError(_l("This PDF contains scripts, attached files or actions, which are "
                             "not accepted. Print it to a new PDF (or scan the paper) and "
                             "upload that."))


def _check_tail(path: Path) -> None:
    """The file ends at its last %%EOF: a ZIP, a page or a program appended is refused."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - 4096))
        tail = fh.read()
    end = tail.rfind(b"%%EOF")
    if end < 0 or not _AFTER_EOF.fullmatch(tail[end + 5:]):
        raise UploadError(NOT_ACCEPTED)


def _active_content(reader) -> str | None:
    """The first key or action that makes the PDF active, walking every reachable object."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer]
    walked = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        walked += 1
        if walked > MAX_PDF_OBJECTS:
            return "too many objects"
        if isinstance(obj, DictionaryObject):
            for key, value in dict.items(obj):
                if key in ACTIVE_KEYS:
                    return str(key)
                if key == "/S" and value in ACTIVE_ACTIONS or \
                        key in ("/Type", "/Subtype") and value in ACTIVE_TYPES:
                    return str(value)
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))
    return None


def reencode_image(source: Path, target: Path, content_type: str) -> None:
    """Decode the image and write it again to `target`, without metadata; refuse what Pillow
    cannot decode as the JPEG or PNG its first bytes claim."""
    from PIL import Image, ImageOps

    expected = "JPEG" if content_type == "image/jpeg" else "PNG"
    try:
        with Image.open(source, formats=[expected]) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise UploadError(_l("This image is too large (more than 50 megapixels). Take "
                                     "a smaller photo and try again."))
            image.load()
            tables = _coarser_tables(image) if expected == "JPEG" else None
            image = ImageOps.exif_transpose(image)
            _save(image, target, expected, tables)
    except UploadError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError) as exc:
        log.info("image refused, does not decode: %s", exc)
        raise UploadError(NOT_ACCEPTED) from None


def _coarser_tables(image) -> dict | None:
    """The JPEG's own quantization tables and chroma subsampling when its luminance table is
    coarser than quality 88's (re-encoding at 88 would only add bytes), else None."""
    from PIL import JpegImagePlugin

    own = getattr(image, "quantization", None)
    if not own or 0 not in own or sum(own[0]) <= sum(_reference_tables()[0]):
        return None
    return {"qtables": own, "subsampling": JpegImagePlugin.get_sampling(image)}


_reference: dict = {}


def _reference_tables() -> dict:
    """Quality 88's quantization tables, as this Pillow writes them (read once)."""
    if not _reference:
        import io

        from PIL import Image

        out = io.BytesIO()
        Image.new("L", (8, 8)).save(out, "JPEG", quality=JPEG_QUALITY)
        with Image.open(out) as probe:
            _reference.update(probe.quantization)
    return _reference


def _save(image, target: Path, fmt: str, tables: dict | None = None) -> None:
    image.info = {}  # nothing of the original's metadata (EXIF, comments, text, ICC) is kept
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        quality = tables or {"quality": JPEG_QUALITY}
        image.save(target, "JPEG", optimize=True, **quality)
        return
    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        image = image.convert("RGBA")
    image.save(target, "PNG", optimize=False)
