"""Uploads are checked by what they are, not their first and last bytes (issue #11 item 9):
PDFs must parse and carry no active content; images are re-encoded, so what is stored is an
image and only an image, without its metadata."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from district_portal.db import get_db
from tests.helpers import birth_answers, dossier_of, pdf_bytes, save, start_draft, upload

KEY = "giay_chung_sinh"
ACTIVE = "Tệp PDF này có mã lệnh, tệp đính kèm hoặc thao tác tự động"


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    return writer


def _bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _js_action(code: str = "app.alert(1)") -> DictionaryObject:
    return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                             NameObject("/JS"): TextStringObject(code)})


def pdf_open_action_js() -> bytes:
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = _js_action()
    return _bytes(writer)


def pdf_page_aa_js() -> bytes:
    writer = _writer()
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): _js_action()})
    return _bytes(writer)


def pdf_embedded_file() -> bytes:
    writer = _writer()
    writer.add_attachment("hoa-don.exe", b"MZ\x90\x00 a program")
    return _bytes(writer)


def pdf_launch() -> bytes:
    writer = _writer()
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")})
    return _bytes(writer)


def pdf_names_javascript() -> bytes:
    """Document-level JavaScript in the name tree, the name written with a hex escape."""
    body = pdf_bytes()
    return body.replace(b"<</Type/Catalog/Pages 2 0 R>>",
                        b"<</Type/Catalog/Pages 2 0 R/Names<</J#61vaScript<</Names[(a)"
                        b"<</S/JavaScript/JS(app.alert(1))>>]>>>>>>")


def pdf_with_zip_appended() -> bytes:
    return pdf_bytes() + b"PK\x03\x04" + b"\x00" * 200 + b"evil.html<script>"


@pytest.fixture
def draft(resident_client):
    _, public_id = start_draft(resident_client)
    save(resident_client, public_id, birth_answers())
    return public_id


@pytest.mark.parametrize(("make", "message"), [
    (pdf_open_action_js, ACTIVE),
    (pdf_page_aa_js, ACTIVE),
    (pdf_embedded_file, ACTIVE),
    (pdf_launch, ACTIVE),
    (pdf_names_javascript, "PDF"),
    (pdf_with_zip_appended, "Chỉ nhận tệp PDF, JPEG hoặc PNG."),
    (lambda: b"%PDF-1.4\n%%EOF\n", "Chỉ nhận tệp PDF, JPEG hoặc PNG."),
], ids=["open-action-js", "page-aa-js", "embedded-file", "launch", "names-js", "zip-after-eof",
        "no-structure"])
def test_active_or_disguised_pdfs_are_refused_and_nothing_is_kept(app, resident_client,
                                                                   session, draft, make,
                                                                   message):
    page = upload(resident_client, draft, KEY, make(), "giay.pdf", expected_status=400)
    assert message in page.text(page.find(".//*[@class='errors']"))
    assert dossier_of(session, draft).attachments == []
    assert not list(Path(app.config["UPLOAD_DIR"]).rglob(".upload-*"))


def test_a_plain_pdf_is_stored_byte_for_byte(app, resident_client, session, draft):
    content = _bytes(_writer())
    upload(resident_client, draft, KEY, content, "giay.pdf")
    (attachment,) = dossier_of(session, draft).attachments
    from district_portal.services import storage

    assert storage.path_of(app.config["UPLOAD_DIR"], attachment.stored_name).read_bytes() \
        == content


def _stored(app, session, public_id) -> tuple[object, bytes]:
    from district_portal.services import storage

    with get_db(app).transaction() as s:
        (attachment,) = dossier_of(s, public_id).attachments
        path = storage.path_of(app.config["UPLOAD_DIR"], attachment.stored_name)
        return attachment, path.read_bytes()


def test_a_photo_is_re_encoded_without_its_metadata_or_what_was_appended(app, resident_client,
                                                                         session, draft):
    image = Image.new("RGB", (64, 32), (10, 120, 30))
    exif = Image.Exif()
    exif[0x010F] = "Máy ảnh của tôi"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° when shown
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif.tobytes(), comment=b"secret comment")
    content = out.getvalue() + b"PK\x03\x04 a zip hidden after the image"
    upload(resident_client, draft, KEY, content, "anh.jpg")
    attachment, stored = _stored(app, session, draft)
    assert attachment.content_type == "image/jpeg"
    assert attachment.size == len(stored)
    assert b"PK\x03\x04" not in stored and b"secret comment" not in stored
    with Image.open(io.BytesIO(stored)) as again:
        assert again.format == "JPEG"
        assert not again.getexif()
        assert again.size == (32, 64)  # turned upright as the camera meant, then stored so


def test_a_png_loses_its_text_chunks_and_stays_a_png(app, resident_client, session, draft):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Nguyễn Văn A, 0912345678")
    out = io.BytesIO()
    Image.new("RGBA", (16, 16), (1, 2, 3, 128)).save(out, "PNG", pnginfo=info)
    upload(resident_client, draft, KEY, out.getvalue(), "anh.png")
    attachment, stored = _stored(app, session, draft)
    assert attachment.content_type == "image/png"
    assert b"0912345678" not in stored
    with Image.open(io.BytesIO(stored)) as again:
        assert again.format == "PNG" and again.mode == "RGBA"
        assert again.getpixel((0, 0)) == (1, 2, 3, 128)


def test_a_jpeg_header_on_something_else_is_refused(app, resident_client, session, draft):
    content = b"\xff\xd8\xff\xe0" + b"<html><script>alert(1)</script></html>" * 20 + b"\xff\xd9"
    page = upload(resident_client, draft, KEY, content, "anh.jpg", expected_status=400)
    assert "Chỉ nhận tệp PDF, JPEG hoặc PNG." in page.text(page.find(".//*[@class='errors']"))
    assert dossier_of(session, draft).attachments == []


def test_the_pdf_checker_reads_reader_errors_as_refusals(tmp_path):
    from district_portal.services import upload_checks

    path = tmp_path / "x.pdf"
    path.write_bytes(pdf_open_action_js())
    with pytest.raises(upload_checks.UploadError):
        upload_checks.check_pdf(path)
    path.write_bytes(_bytes(_writer()))
    upload_checks.check_pdf(path)
    assert len(PdfReader(path).pages) == 1


def test_a_stored_file_and_its_directory_are_synced_to_disk_before_store_returns(
        tmp_path, monkeypatch):
    """The row naming a file commits after store() returns: by then the bytes and the
    directory entry (the rename into place) must be on disk, or a power cut loses the file
    the database still names."""
    from district_portal.services import storage

    synced: list[str] = []
    real_fsync = os.fsync

    def record(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    monkeypatch.setattr(storage.os, "fsync", record)
    stored = storage.store(str(tmp_path), io.BytesIO(pdf_bytes(b"ben vung")), 1 << 20)
    final = storage.path_of(str(tmp_path), stored.sha256)
    assert final.exists()
    file_syncs = [p for p in synced if Path(p).name.startswith(".upload-")]
    assert file_syncs, synced  # the content, before it was renamed into place
    assert synced.index(str(final.parent)) > synced.index(file_syncs[-1])  # then the rename
    for folder in (final.parent.parent, tmp_path):  # new directories are recorded too
        assert str(folder) in synced
