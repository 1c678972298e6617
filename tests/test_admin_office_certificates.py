"""An office's own signing certificate from the admin console (issue 13, item 3): a province
admin uploads a PKCS#12 file with its password; it is checked by its content (every refusal:
400, a Vietnamese message beside the field, nothing written, nothing audited), written as
`<SIGNING_P12_DIR>/<agency code>.p12` with its password file (mode 0600) and used at once by
the next signed result; the audit row names the certificate, never its password or key. The
office page shows the certificate in use; removing the office's own falls back to the
province's; a new agency code renames the files; a commune admin gets 404. The certificates are
throwaway ones made here with `cryptography`."""

from __future__ import annotations

import datetime as dt
import io
import json
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from district_portal.models import AuditEntry
from district_portal.services.admin import office_certificates
from district_portal.services.documents import signing
from district_portal.services.storage import path_of
from tests.factories import OFFICE, office
from tests.helpers import client_as, csrf_token, issued_dossier

PASSWORD = "mật-khẩu-chứng-thư"
OWN_CN = "UBND Phường Hòa Bình (riêng)"
DEFAULT_CN = "UBND tỉnh Phú Thọ (mặc định)"
PROVINCE = "000.00.00.T25"


def _p12(cn: str, password: str | None = PASSWORD, *, start: int = -1, end: int = 30,
         signature_usage: bool | None = True, with_key: bool = True) -> bytes:
    """A self-signed PKCS#12 file valid from `start` to `end` days from now."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND tỉnh Phú Thọ"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + dt.timedelta(days=start))
               .not_valid_after(now + dt.timedelta(days=end)))
    if signature_usage is not None:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=signature_usage, content_commitment=signature_usage,
            key_encipherment=not signature_usage, data_encipherment=False, key_agreement=False,
            key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
    cert = builder.sign(key, hashes.SHA256())
    encryption = serialization.BestAvailableEncryption(password.encode("utf-8")) if password \
        else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(
        b"office", key if with_key else None, cert, None, encryption)


@pytest.fixture
def folder(app, monkeypatch, tmp_path):
    """SIGNING_P12_DIR (empty) and a province default certificate outside it."""
    certs = tmp_path / "certs"
    certs.mkdir()
    default = tmp_path / "default.p12"
    default.write_bytes(_p12(DEFAULT_CN, "mặc-định"))
    monkeypatch.setitem(app.config, "SIGNING_P12_DIR", str(certs))
    monkeypatch.setitem(app.config, "SIGNING_P12", str(default))
    monkeypatch.setitem(app.config, "SIGNING_P12_PASSWORD", "mặc-định")
    return certs


def _client(app, session, email="admin.tinh@demo.test"):
    return client_as(app, session, email)


@pytest.fixture
def tinh(app, session):
    return _client(app, session)


def _upload(client, data: bytes, password: str = PASSWORD, code: str = OFFICE):
    token = csrf_token(client, f"/admin/offices/{code}")
    return client.post(f"/admin/offices/{code}/certificate", data={
        "csrf_token": token, "certificate": (io.BytesIO(data), "co-quan.p12"),
        "certificate_password": password}, content_type="multipart/form-data")


def _audits(session, action="office.certificate"):
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _signer_cn(app, d) -> str:
    data = path_of(app.config["UPLOAD_DIR"], d.result["sha256"]).read_bytes()
    (embedded,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    return embedded.signer_cert.subject.native["common_name"]


def test_an_uploaded_certificate_is_written_0600_audited_and_signs_the_next_result(
        app, session, tinh, folder):
    data = _p12(OWN_CN)
    response = _upload(tinh, data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/offices/{OFFICE}")
    cert_file, secret = folder / f"{OFFICE}.p12", folder / f"{OFFICE}.p12.password"
    assert cert_file.read_bytes() == data
    assert secret.read_text("utf-8") == PASSWORD
    for path in (cert_file, secret):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [cert_file.name, secret.name]

    (entry,) = _audits(session)
    assert entry.target_ref == OFFICE and entry.actor_id is not None
    assert entry.after["common_name"] == OWN_CN
    assert entry.after["organisation"] == "UBND tỉnh Phú Thọ"
    assert {"serial", "valid_from", "valid_until", "sha256"} <= set(entry.after)
    assert len(entry.after["sha256"].replace(":", "")) == 64
    stored = json.dumps([entry.before, entry.after, entry.note], ensure_ascii=False)
    assert PASSWORD not in stored and "PRIVATE" not in stored

    # The page says so, read from the file.
    page = tinh.get(f"/admin/offices/{OFFICE}").get_data(as_text=True)
    assert OWN_CN in page and "Của riêng cơ quan" in page and entry.after["sha256"] in page
    assert "Gỡ chứng thư số" in page

    # The next result of the office is signed with it (signing.py loaded the default before).
    with app.test_request_context():
        assert signing.certificate_for(office(session, OFFICE)).path == cert_file
    d = issued_dossier(app, session)
    assert d.result["digitally_signed"] is True
    assert _signer_cn(app, d) == OWN_CN


def test_a_replaced_certificate_is_used_at_once_despite_the_loaded_one(
        app, session, tinh, folder):
    assert _upload(tinh, _p12("Chứng thư thứ nhất")).status_code == 303
    first = issued_dossier(app, session)
    assert _signer_cn(app, first) == "Chứng thư thứ nhất"
    assert _upload(tinh, _p12("Chứng thư thứ hai", "mật-khẩu-khác"),
                   "mật-khẩu-khác").status_code == 303
    second = issued_dossier(app, session)
    assert _signer_cn(app, second) == "Chứng thư thứ hai"
    replaced = _audits(session)[-1]
    assert replaced.before["common_name"] == "Chứng thư thứ nhất"
    assert replaced.after["common_name"] == "Chứng thư thứ hai"


REFUSALS = {
    "not pkcs12": (lambda: b"%PDF-1.7 not a certificate", PASSWORD, "certificate",
                   "không phải chứng thư số PKCS#12"),
    "pem": (lambda: b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            PASSWORD, "certificate", "không phải chứng thư số PKCS#12"),
    "empty": (lambda: b"", PASSWORD, "certificate", "Hãy chọn tệp chứng thư số"),
    "wrong password": (lambda: _p12(OWN_CN), "sai-mật-khẩu", "certificate_password",
                       "Mật khẩu không mở được"),
    "no password given": (lambda: _p12(OWN_CN), "", "certificate_password",
                          "Mật khẩu không mở được"),
    "expired": (lambda: _p12(OWN_CN, start=-400, end=-2), PASSWORD, "certificate",
                "đã hết hạn ngày"),
    "not yet valid": (lambda: _p12(OWN_CN, start=3, end=300), PASSWORD, "certificate",
                      "chưa có hiệu lực"),
    "no key": (lambda: _p12(OWN_CN, with_key=False), PASSWORD, "certificate",
               "không có khóa bí mật"),
    "not for signing": (lambda: _p12(OWN_CN, signature_usage=False), PASSWORD,
                        "certificate", "không dùng để ký số"),
    "too large": (lambda: b"0" * (office_certificates.MAX_BYTES + 10), PASSWORD,
                  "certificate", "Tệp lớn hơn 100 KB"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_each_refusal_is_400_beside_its_field_and_writes_nothing(
        app, session, tinh, folder, case):
    make, password, field, message = REFUSALS[case]
    response = _upload(tinh, make(), password)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    # Beside its field: the message follows the field's input, inside its block.
    block = page[page.index(f'id="{field}"'):]
    assert message in block[:block.index("</div>")]
    assert list(folder.iterdir()) == []
    assert _audits(session) == []
    assert "Mặc định của tỉnh" in page and DEFAULT_CN in page  # the page is whole


def test_a_certificate_without_a_password_and_without_key_usage_is_accepted(
        app, session, tinh, folder):
    assert _upload(tinh, _p12(OWN_CN, None, signature_usage=None), "").status_code == 303
    assert (folder / f"{OFFICE}.p12").is_file()
    d = issued_dossier(app, session)
    assert _signer_cn(app, d) == OWN_CN


def test_without_a_certificate_folder_the_upload_says_the_server_needs_it(
        app, session, tinh, folder, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNING_P12_DIR", None)
    page = tinh.get(f"/admin/offices/{OFFICE}").get_data(as_text=True)
    assert "PORTAL_SIGNING_P12_DIR" in page  # warned before trying
    response = _upload(tinh, _p12(OWN_CN))
    assert response.status_code == 400
    assert "quản trị viên máy chủ phải cấu hình" in response.get_data(as_text=True)
    assert list(folder.iterdir()) == [] and _audits(session) == []


def test_a_commune_admin_sees_the_certificate_but_cannot_upload_or_remove(
        app, session, tinh, folder):
    assert _upload(tinh, _p12(OWN_CN)).status_code == 303
    xa = _client(app, session, "admin@demo.test")
    page = xa.get(f"/admin/offices/{OFFICE}").get_data(as_text=True)
    assert OWN_CN in page and "Cài chứng thư số" not in page and "Gỡ chứng thư số" not in page
    token = csrf_token(xa, f"/admin/offices/{OFFICE}")
    response = xa.post(f"/admin/offices/{OFFICE}/certificate", data={
        "csrf_token": token, "certificate": (io.BytesIO(_p12("Kẻ lạ")), "x.p12"),
        "certificate_password": PASSWORD}, content_type="multipart/form-data")
    assert response.status_code == 404
    assert xa.post(f"/admin/offices/{OFFICE}/certificate/remove",
                   data={"csrf_token": token, "confirm": "y"}).status_code == 404
    assert office_certificates.read(folder / f"{OFFICE}.p12", PASSWORD).common_name == OWN_CN
    assert len(_audits(session)) == 1


def test_removing_the_own_certificate_needs_the_box_and_falls_back_to_the_default(
        app, session, tinh, folder):
    assert _upload(tinh, _p12(OWN_CN)).status_code == 303
    url = f"/admin/offices/{OFFICE}/certificate/remove"
    token = csrf_token(tinh, f"/admin/offices/{OFFICE}")
    refused = tinh.post(url, data={"csrf_token": token})
    assert refused.status_code == 400
    assert "Hãy đánh dấu ô để xác nhận" in refused.get_data(as_text=True)
    assert (folder / f"{OFFICE}.p12").is_file()

    assert tinh.post(url, data={"csrf_token": token, "confirm": "y"}).status_code == 303
    assert list(folder.iterdir()) == []
    (entry,) = _audits(session, "office.certificate_remove")
    assert entry.before["common_name"] == OWN_CN and entry.after is None
    page = tinh.get(f"/admin/offices/{OFFICE}").get_data(as_text=True)
    assert "Mặc định của tỉnh" in page and DEFAULT_CN in page
    assert "Gỡ chứng thư số riêng" not in page
    d = issued_dossier(app, session)
    assert _signer_cn(app, d) == DEFAULT_CN


def test_a_new_agency_code_takes_the_certificate_files_along(app, session, tinh, folder):
    data = _p12(OWN_CN)
    assert _upload(tinh, data).status_code == 303
    new_code = "000.00.14.T25"
    target = office(session, OFFICE)
    token = csrf_token(tinh, f"/admin/offices/{OFFICE}")
    response = tinh.post(f"/admin/offices/{OFFICE}", data={
        "csrf_token": token, "agency_code": new_code, "name": target.name,
        "kind": str(target.kind), "parent": PROVINCE,
        "admin_unit_code": target.admin_unit_code or "", "address": target.address or "",
        "phone": target.phone or "", "hours": ", ".join(target.hours or []),
        "postage": target.postage if target.postage is not None else ""})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert sorted(p.name for p in folder.iterdir()) == [f"{new_code}.p12",
                                                        f"{new_code}.p12.password"]
    assert (folder / f"{new_code}.p12").read_bytes() == data
    page = tinh.get(f"/admin/offices/{new_code}").get_data(as_text=True)
    assert OWN_CN in page and "Của riêng cơ quan" in page


def test_a_provisional_office_given_its_real_code_keeps_its_certificate(
        app, session, tinh, folder):
    from district_portal.models import Office, OfficeKind
    from district_portal.models.office import PROVISIONAL_PREFIX

    provisional = f"{PROVISIONAL_PREFIX}7895"
    session.add(Office(agency_code=provisional, name="UBND xã Tạm", kind=OfficeKind.COMMUNE,
                       parent=office(session, PROVINCE)))
    session.commit()
    assert _upload(tinh, _p12(OWN_CN), code=provisional).status_code == 303
    token = csrf_token(tinh, f"/admin/offices/{provisional}/code")
    response = tinh.post(f"/admin/offices/{provisional}/code",
                         data={"csrf_token": token, "agency_code": "000.00.15.T25"})
    assert response.status_code == 303
    assert sorted(p.name for p in folder.iterdir()) == ["000.00.15.T25.p12",
                                                        "000.00.15.T25.p12.password"]
