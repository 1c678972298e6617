"""An office's own signing certificate, uploaded from the admin console (issue 13, item 3).

signing.py signs an office's results with `<SIGNING_P12_DIR>/<agency code>.p12` (its password
in `<agency code>.p12.password` beside it) when that file exists, else with the province's
default PKCS#12. Here a province admin's upload is checked by its content (a PKCS#12 file that
opens with the password given, holding a private key and the certificate of that key, valid
today, for digital signatures), then both files are written atomically with mode 0600 and the
loaded certificates are forgotten, so the next result is signed with the new one. The audit
log gets what identifies the certificate (subject, serial number, validity, SHA-256
fingerprint): never the password or the key.

Who may do this is access.py's (can_set_signing_certificate); the views ask it and give 404.
The folder comes from the caller (the app's SIGNING_P12_DIR): no Flask here."""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from district_portal import access
from district_portal.models import Office, User
from district_portal.services.admin import audit
from district_portal.services.documents import signing
from district_portal.services.errors import ServiceError

log = logging.getLogger(__name__)
MAX_BYTES = 100 * 1024
SUFFIX, SECRET_SUFFIX = ".p12", ".p12.password"


class CertificateError(ServiceError):
    """A refusal shown beside `field` of the upload form ("file" or "password")."""

    def __init__(self, message, field: str | None = "file", status: int = 400):
        super().__init__(message, status)
        self.field = field


@dataclass(frozen=True)
class CertificateInfo:
    """What identifies a certificate (shown on the office page and audited)."""

    common_name: str
    organisation: str
    serial: str  # hexadecimal
    valid_from: dt.datetime  # UTC
    valid_until: dt.datetime  # UTC
    sha256: str  # fingerprint of the DER certificate, AA:BB:... hexadecimal

    def audited(self) -> dict:
        return {"common_name": self.common_name, "organisation": self.organisation,
                "serial": self.serial, "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat(), "sha256": self.sha256}

    def expired(self, now: dt.datetime | None = None) -> bool:
        return (now or dt.datetime.now(dt.UTC)) > self.valid_until


def _attribute(name: x509.Name, oid) -> str:
    return ", ".join(str(a.value) for a in name.get_attributes_for_oid(oid))


def info_of(cert: x509.Certificate) -> CertificateInfo:
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return CertificateInfo(
        common_name=_attribute(cert.subject, NameOID.COMMON_NAME),
        organisation=_attribute(cert.subject, NameOID.ORGANIZATION_NAME),
        serial=format(cert.serial_number, "X"),
        valid_from=cert.not_valid_before_utc, valid_until=cert.not_valid_after_utc,
        sha256=":".join(digest[i:i + 2] for i in range(0, len(digest), 2)))


def _is_pkcs12(data: bytes) -> bool:
    """The bytes are a PKCS#12 (PFX) structure, whatever its password."""
    try:
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        return pfx["version"].native == "v3" and \
            pfx["auth_safe"]["content_type"].native in ("data", "signed_data")
    except (ValueError, TypeError, KeyError):
        return False


def _open(data: bytes, password: str):
    """(key, certificate) of a PKCS#12 file, or a CertificateError saying what is wrong."""
    if not data:
        raise CertificateError(_l("Choose the certificate file (.p12 or .pfx)."))
    if len(data) > MAX_BYTES:
        raise CertificateError(_l("The file is larger than %(size)d KB: a signing "
                                  "certificate is much smaller.", size=MAX_BYTES // 1024))
    if not _is_pkcs12(data):
        raise CertificateError(_l("This file is not a PKCS#12 certificate (.p12 or .pfx)."))
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(
            data, password.encode("utf-8") if password else None)
    except (ValueError, TypeError):
        raise CertificateError(_l("The password does not open this certificate file."),
                               "password") from None
    return key, cert


def check(data: bytes, password: str, now: dt.datetime | None = None) -> CertificateInfo:
    """The certificate of an upload, if it can sign results today; CertificateError if not."""
    key, cert = _open(data, password)
    if key is None:
        raise CertificateError(_l("The file has no private key: export the certificate "
                                  "together with its key (.p12 or .pfx)."))
    if cert is None:
        raise CertificateError(_l("The file holds a key but no certificate."))
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, public) != \
            cert.public_key().public_bytes(serialization.Encoding.DER, public):
        raise CertificateError(_l("The private key in the file does not belong to its "
                                  "certificate."))
    now = now or dt.datetime.now(dt.UTC)
    info = info_of(cert)
    if info.expired(now):
        raise CertificateError(_l("This certificate expired on %(date)s.",
                                  date=info.valid_until.strftime("%d/%m/%Y")))
    if now < info.valid_from:
        raise CertificateError(_l("This certificate is not valid before %(date)s.",
                                  date=info.valid_from.strftime("%d/%m/%Y")))
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.digital_signature:
        raise CertificateError(_l("This certificate is not for digital signatures (its key "
                                  "usage has no digitalSignature)."))
    return info


def read(path: Path, password: str | None) -> CertificateInfo | None:
    """What the certificate file at `path` holds, or None if it cannot be read."""
    try:
        _key, cert, _chain = pkcs12.load_key_and_certificates(
            path.read_bytes(), password.encode("utf-8") if password else None)
    except (OSError, ValueError, TypeError):
        return None
    return info_of(cert) if cert is not None else None


def paths(folder: str, code: str) -> tuple[Path, Path]:
    """The office's certificate and password files (the names signing.py looks for)."""
    return Path(folder) / f"{code}{SUFFIX}", Path(folder) / f"{code}{SECRET_SUFFIX}"


def _write(path: Path, data: bytes) -> None:
    """Replace `path` at once (a temporary file beside it, then os.replace), mode 0600."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _allowed(user: User, office: Office, folder: str | None) -> str:
    if not access.can_set_signing_certificate(user, office):
        raise CertificateError(_l("This office is not one you administer."), None, 404)
    if not folder:
        raise CertificateError(_l("The server has no folder for the offices' certificates "
                                  "(PORTAL_SIGNING_P12_DIR): an administrator of the server "
                                  "must set it first."), None)
    return folder


def install(session: Session, user: User, office: Office, folder: str | None,
            data: bytes, password: str) -> CertificateInfo:
    """Check the upload, write the office's certificate and password files, audit it."""
    folder = _allowed(user, office, folder)
    info = check(data, password)
    Path(folder).mkdir(mode=0o700, parents=True, exist_ok=True)
    cert_path, secret_path = paths(folder, office.agency_code)
    before = read(cert_path, _password(secret_path))
    _write(secret_path, password.encode("utf-8"))
    _write(cert_path, data)
    signing.forget_loaded_certificates()
    audit.record(session, user, "office.certificate", "office", office.agency_code,
                 before=before.audited() if before else None, after=info.audited(),
                 office=office)
    return info


def _password(secret: Path) -> str | None:
    try:
        return secret.read_text("utf-8").strip()
    except OSError:
        return None


def remove(session: Session, user: User, office: Office, folder: str | None) -> bool:
    """Delete the office's own certificate (it signs with the province's default again);
    False when it had none."""
    folder = _allowed(user, office, folder)
    cert_path, secret_path = paths(folder, office.agency_code)
    if not cert_path.is_file():
        return False
    before = read(cert_path, _password(secret_path))
    cert_path.unlink()
    secret_path.unlink(missing_ok=True)
    signing.forget_loaded_certificates()
    audit.record(session, user, "office.certificate_remove", "office", office.agency_code,
                 before=before.audited() if before else {"file": cert_path.name}, after=None,
                 office=office)
    return True


def rename(folder: str | None, old: str, new: str) -> bool:
    """An office's agency code changed: its certificate files follow (True if it had one)."""
    if not folder or old == new:
        return False
    old_cert, old_secret = paths(folder, old)
    if not old_cert.is_file():
        return False
    new_cert, new_secret = paths(folder, new)
    if old_secret.is_file():
        os.replace(old_secret, new_secret)
    else:
        new_secret.unlink(missing_ok=True)
    os.replace(old_cert, new_cert)
    signing.forget_loaded_certificates()
    log.info("signing certificate %s renamed to %s", old_cert.name, new_cert.name)
    return True
