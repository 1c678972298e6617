"""Signed results (issue 9, item 9): with a PKCS#12 certificate configured, an issued result is
signed (PAdES B-B) by its office, its SHA-256 is that of the signed file, and /verify names the
signer and says whether the signature is intact and trusted. A throwaway certificate is made
here with `cryptography`."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from district_portal.models import DossierStatus as S
from district_portal.services.documents import signing
from district_portal.services.storage import path_of
from tests.factories import MARITAL, accepted_dossier, create_filed_dossier, user
from tests.helpers import csrf_token, issue, issued_dossier, login, pdf_text, prepare, sha256

SIGNER = "UBND Phường Hòa Bình"
ORG = "Ủy ban nhân dân tỉnh Phú Thọ"
PASSWORD = "mật-khẩu-thử-nghiệm"


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool):
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1))
               .not_valid_after(now + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=not ca, content_commitment=not ca, key_cert_sign=ca,
                   crl_sign=ca, key_encipherment=False, data_encipherment=False,
                   key_agreement=False, encipher_only=False, decipher_only=False),
                   critical=True))
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A throwaway root CA, an office certificate it issued (as PKCS#12) and the root as PEM."""
    folder = tmp_path_factory.mktemp("pki")
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("CA thử nghiệm Cổng dịch vụ công", "Phòng thử nghiệm")
    root = _certificate(root_name, root_name, root_key.public_key(), root_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(_name(SIGNER, ORG), root_name, key.public_key(), root_key, ca=False)
    p12 = folder / "office.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"office", key, cert, [root],
        serialization.BestAvailableEncryption(PASSWORD.encode("utf-8"))))
    roots = folder / "roots.pem"
    roots.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return {"p12": str(p12), "roots": str(roots), "root": root, "folder": folder}


@pytest.fixture
def signing_on(app, monkeypatch, pki):
    monkeypatch.setitem(app.config, "SIGNING_P12", pki["p12"])
    monkeypatch.setitem(app.config, "SIGNING_P12_PASSWORD", PASSWORD)
    return app


def _stored(app, sha: str) -> bytes:
    return path_of(app.config["UPLOAD_DIR"], sha).read_bytes()


def _upload(client, data: bytes):
    token = csrf_token(client, "/verify")
    return client.post("/verify", data={"csrf_token": token,
                                        "document": (io.BytesIO(data), "ket-qua.pdf")},
                       content_type="multipart/form-data")


def test_an_issued_result_is_signed_and_pyhanko_finds_the_signature_intact(
        signing_on, db_session, pki):
    app = signing_on
    d = issued_dossier(app, db_session)
    assert d.result["digitally_signed"] is True
    data = _stored(app, d.result["sha256"])
    assert sha256(data) == d.result["sha256"]  # the stored hash is that of the signed file
    number = d.result["register"]["number"]
    assert f"Số: {number}/" in pdf_text(data)  # the signed file is the one with its number
    (embedded,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    status = signing.run_sync(async_validate_pdf_signature(embedded, ValidationContext(
        trust_roots=[load_cert_from_pemder(pki["roots"])])))
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.subject.native["common_name"] == SIGNER
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    # What the resident downloads is that signed file.
    client = app.test_client()
    login(client, user(db_session, "resident@demo.test"))
    assert client.get(f"/my/dossiers/{d.public_id}/result.pdf").data == data


def test_verify_names_the_signer_and_says_untrusted_without_a_trust_root(
        signing_on, db_session):
    app = signing_on
    d = issued_dossier(app, db_session)
    page = app.test_client().get(f"/verify/{d.verification_token}").get_data(as_text=True)
    assert SIGNER in page and ORG in page
    assert "Tệp không bị thay đổi từ khi ký" in page
    assert "không do tổ chức mà Cổng tin cậy cấp" in page
    uploaded = _upload(app.test_client(), _stored(app, d.result["sha256"]))
    text = uploaded.get_data(as_text=True)
    assert uploaded.status_code == 200 and SIGNER in text and "Tệp không bị thay đổi" in text


def test_verify_says_trusted_when_the_root_is_configured(signing_on, db_session, pki,
                                                        monkeypatch):
    app = signing_on
    monkeypatch.setitem(app.config, "SIGNING_TRUST_ROOTS", pki["roots"])
    d = issued_dossier(app, db_session)
    page = app.test_client().get(f"/verify/{d.verification_token}").get_data(as_text=True)
    assert SIGNER in page and "Hợp lệ: tệp không bị thay đổi từ khi ký" in page


def test_one_changed_byte_makes_the_signed_result_not_genuine(signing_on, db_session):
    app = signing_on
    d = issued_dossier(app, db_session)
    data = bytearray(_stored(app, d.result["sha256"]))
    at = data.index(b"/Type /Page") if b"/Type /Page" in data else len(data) // 3
    data[at + 1] ^= 0x01  # inside the signed range
    response = _upload(app.test_client(), bytes(data))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Không có kết quả nào" in page and SIGNER not in page
    check = signing.check_signature(bytes(data))
    assert check is None or not check.intact


def test_without_a_certificate_results_stay_unsigned_and_hash_verifiable(app, db_session):
    d = issued_dossier(app, db_session)
    assert d.result["digitally_signed"] is False
    data = _stored(app, d.result["sha256"])
    assert PdfFileReader(io.BytesIO(data)).embedded_signatures == []
    response = _upload(app.test_client(), data)
    page = response.get_data(as_text=True)
    assert "Hợp lệ" in page and 'id="digital-signature"' not in page


def test_sign_pdf_returns_the_input_unchanged_when_no_certificate_applies(app):
    with app.test_request_context():
        assert signing.sign_pdf(b"%PDF-1.4 whatever", None) == b"%PDF-1.4 whatever"


def test_an_office_certificate_in_the_folder_wins_over_the_default(app, monkeypatch, pki):
    from district_portal.models import Office

    folder = pki["folder"] / "offices"
    folder.mkdir(exist_ok=True)
    (folder / "000.00.04.T25.p12").write_bytes(open(pki["p12"], "rb").read())
    (folder / "000.00.04.T25.p12.password").write_text(PASSWORD + "\n")
    monkeypatch.setitem(app.config, "SIGNING_P12_DIR", str(folder))
    monkeypatch.setitem(app.config, "SIGNING_P12", None)
    with app.test_request_context():
        own = signing.certificate_for(Office(agency_code="000.00.04.T25", name="x"))
        other = signing.certificate_for(Office(agency_code="000.00.05.T25", name="y"))
    assert own is not None and own.password == PASSWORD
    assert other is None  # no default configured


def test_a_wrong_certificate_password_refuses_to_issue_and_changes_nothing(
        signing_on, db_session, monkeypatch):
    app = signing_on
    monkeypatch.setitem(app.config, "SIGNING_P12_PASSWORD", "sai-mật-khẩu")
    signing._signer.cache_clear()
    d = accepted_dossier(db_session)
    client = app.test_client()
    login(client, user(db_session, "officer@demo.test"))
    assert prepare(client, d, way="rendered").status_code == 303
    db_session.expire_all()
    attachments = len(d.attachments)
    client = app.test_client()
    login(client, user(db_session, "leader@demo.test"))
    response = issue(client, d)
    assert response.status_code == 503
    assert "Không dùng được chứng thư số của cơ quan" in response.get_data(as_text=True)
    db_session.expire_all()
    assert d.status == "accepted" and not d.result and len(d.attachments) == attachments


def test_signing_and_checking_work_while_an_event_loop_runs_in_the_thread(signing_on, pki):
    """pyHanko's sync wrappers call asyncio.run; a thread with a running loop (an async
    server, Playwright in the test run) must still sign and check."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from weasyprint import HTML

    from district_portal.models import Office

    pdf = HTML(string="<p>Giấy xác nhận</p>").write_pdf()

    async def inside_a_loop():
        with signing_on.test_request_context():
            signed = signing.sign_pdf(pdf, Office(agency_code="000.00.04.T25", name="Xã"))
            return signing.check_signature(signed)

    # Its own thread: the test run's thread may already hold Playwright's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        check = pool.submit(asyncio.run, inside_a_loop()).result()
    assert check is not None and check.intact and check.signer == SIGNER


def test_an_e_receipt_is_signed_by_the_office_as_well(signing_on, sess, pki):
    from tests.test_payments_pages import _pay_online

    client = signing_on.test_client()
    d = create_filed_dossier(sess, code=MARITAL, status=S.ACCEPTED)
    sess.commit()
    payment = _pay_online(client, sess, d)
    data = client.get(f"/my/dossiers/{d.public_id}/receipts/{payment.public_id}.pdf").data
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in pdf_text(data)
    (embedded,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    status = signing.run_sync(async_validate_pdf_signature(embedded, ValidationContext(
        trust_roots=[load_cert_from_pemder(pki["roots"])])))
    assert status.intact and status.valid and status.trusted
    assert status.signing_cert.subject.native["common_name"] == SIGNER
