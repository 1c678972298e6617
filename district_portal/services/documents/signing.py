"""Digital signatures on issued documents: PAdES baseline B-B with pyHanko.

An office signs with a PKCS#12 file: `<PORTAL_SIGNING_P12_DIR>/<agency code>.p12` when that
file exists (its password in `<agency code>.p12.password` beside it, else the default
password), otherwise the default `PORTAL_SIGNING_P12` with `PORTAL_SIGNING_P12_PASSWORD`.
Without either, documents are not signed and stay verifiable by their SHA-256 alone.

Checking never goes to the network: a signature is "trusted" only if its certificate chains
to a root in `PORTAL_SIGNING_TRUST_ROOTS` (a PEM file); otherwise it is reported intact but
self-signed or from an authority the portal does not know.
"""

from __future__ import annotations

import asyncio
import io
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from district_portal.models import Office
from district_portal.services.errors import ServiceError
from district_portal.text import format_datetime

log = logging.getLogger(__name__)
FIELD_NAME = "ChuKySoCoQuan"


class SigningError(ServiceError):
    """The document could not be signed; nothing is issued (the request rolls back)."""


@dataclass(frozen=True)
class Certificate:
    path: Path
    password: str | None


@dataclass(frozen=True, kw_only=True)
class SignatureCheck:
    """What /verify says about a document's digital signature."""

    signer: str  # subject common name
    organisation: str  # subject organisation ("" if none)
    intact: bool  # the signed bytes are unchanged and the signature is mathematically valid
    trusted: bool  # the certificate chains to a configured trust root
    self_signed: bool
    whole_file: bool  # the signature covers the whole file (nothing added after signing)
    signed_at: str  # as the signer's clock said, dd/mm/yyyy HH:MM local time ("" if absent)


def run_sync(coroutine):
    """Run one of pyHanko's coroutines to completion from synchronous code. pyHanko's own sync
    wrappers call asyncio.run, which fails in a thread that already runs an event loop (an
    ASGI server, a browser driver in tests): then a short-lived thread runs it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def certificate_for(office: Office | None) -> Certificate | None:
    """The PKCS#12 certificate `office` signs with, or None."""
    config = current_app.config
    folder = config.get("SIGNING_P12_DIR")
    if office is not None and folder:
        path = Path(folder) / f"{office.agency_code}.p12"
        if path.is_file():
            secret = path.with_name(path.name + ".password")
            password = secret.read_text("utf-8").strip() if secret.is_file() \
                else config.get("SIGNING_P12_PASSWORD")
            return Certificate(path, password)
    if config.get("SIGNING_P12"):
        return Certificate(Path(config["SIGNING_P12"]), config.get("SIGNING_P12_PASSWORD"))
    return None


@lru_cache(maxsize=16)
def _signer(path: str, mtime_ns: int, password: str | None) -> signers.SimpleSigner:
    # mtime_ns is part of the key: a renewed certificate file is loaded again.
    signer = signers.SimpleSigner.load_pkcs12(
        path, passphrase=password.encode("utf-8") if password else None)
    if signer is None:
        raise ValueError(f"cannot load the PKCS#12 file {path}")
    return signer


def forget_loaded_certificates() -> None:
    """Drop the loaded certificates: the next signature reads the files again (a certificate
    installed or removed from the admin console is used at once)."""
    _signer.cache_clear()


def _load(cert: Certificate) -> signers.SimpleSigner:
    try:
        return _signer(str(cert.path), cert.path.stat().st_mtime_ns, cert.password)
    except (OSError, ValueError) as exc:
        log.error("signing certificate unusable: %s", exc)
        raise SigningError(_l("The office's signing certificate cannot be used. Ask the "
                              "administrator to check it; nothing was issued."), 503) from None


def sign_pdf(pdf_bytes: bytes, office: Office | None) -> bytes:
    """`pdf_bytes` signed (PAdES B-B) with the certificate of `office`, or unchanged when no
    certificate applies. Raises SigningError if the certificate or the PDF cannot be used."""
    cert = certificate_for(office)
    if cert is None:
        return pdf_bytes
    signer = _load(cert)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        location=office.name if office is not None else None)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        return run_sync(signers.async_sign_pdf(writer, meta, signer=signer)).getvalue()
    except (PdfError, ValueError, KeyError) as exc:
        log.warning("cannot sign a PDF: %s", exc)
        raise SigningError(_l("This PDF cannot be signed: it is damaged or protected. Scan "
                              "or export it again.")) from None


def _trust_roots() -> list:
    path = current_app.config.get("SIGNING_TRUST_ROOTS")
    return list(load_certs_from_pemder([path])) if path else []


def _name(cert, field: str) -> str:
    value = cert.subject.native.get(field, "")
    return ", ".join(value) if isinstance(value, list) else str(value or "")


def check_signature(pdf_bytes: bytes) -> SignatureCheck | None:
    """The last digital signature in the PDF, validated offline; None if it has none (or is
    not a PDF pyHanko can read)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        embedded = reader.embedded_signatures
    except (PdfError, ValueError, KeyError):
        return None
    if not embedded:
        return None
    signature = embedded[-1]
    context = ValidationContext(trust_roots=_trust_roots(), allow_fetching=False)
    status = run_sync(async_validate_pdf_signature(signature, context))
    cert = status.signing_cert
    when = status.signer_reported_dt
    return SignatureCheck(
        signer=_name(cert, "common_name"), organisation=_name(cert, "organization_name"),
        intact=bool(status.intact and status.valid), trusted=bool(status.trusted),
        self_signed=cert.self_signed != "no",
        whole_file=status.coverage.name == "ENTIRE_FILE",
        signed_at=format_datetime(when) if when else "")
