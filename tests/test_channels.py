"""E-mail sent for real over STARTTLS with a login: an SMTP server on localhost (aiosmtpd) that
requires both, with a certificate made for the test and trusted through SSL_CERT_FILE; a
wrong password and an untrusted certificate are each one sentence."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sla.service import channels
from tests.test_alerts import Mailbox, free_port

USER, PASSWORD = "alerts", "s3cret pass"
MESSAGE = {"subject": "[SLA Tracker] test", "text": "Plain <b>text</b>",
           "html": "<p>Plain &lt;b&gt;text&lt;/b&gt;</p>"}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key: (cert.pem, key.pem)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    made = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert, private = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(made.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(cert), str(private)


class Sessions(Mailbox):
    """The mailbox, also noting whether each message came over TLS and after which login."""

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[tuple[bool, bytes | None]] = []  # (over TLS, login)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.sessions.append((session.ssl is not None, session.authenticated
                              and session.auth_data.login))
        return await super().handle_DATA(server, session, envelope)


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture
def tls_mailbox(certificate, monkeypatch):
    """A real SMTP server on localhost that takes mail only after STARTTLS and a login, named
    by the settings; its certificate trusted through SSL_CERT_FILE."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    box, port = Sessions(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, auth_required=True,
                            authenticator=authenticate)
    controller.start()
    for name, value in {"SLA_SMTP_HOST": "127.0.0.1", "SLA_SMTP_PORT": str(port),
                        "SLA_SMTP_STARTTLS": "true", "SLA_SMTP_USER": USER,
                        "SLA_SMTP_PASSWORD": PASSWORD, "SLA_SMTP_FROM": "sla@example.com",
                        "SSL_CERT_FILE": certificate[0]}.items():
        monkeypatch.setenv(name, value)
    yield box
    controller.stop()


def test_mail_goes_over_starttls_after_the_login(tls_mailbox):
    channels.send_email("lead@example.com", MESSAGE)
    (to, message), = tls_mailbox.messages
    assert to == ["lead@example.com"] and message["From"] == "sla@example.com"
    assert tls_mailbox.sessions == [(True, USER.encode())]
    assert message.get_body(("plain",)).get_content().strip() == "Plain <b>text</b>"


def test_a_wrong_password_is_one_sentence(tls_mailbox, monkeypatch):
    monkeypatch.setenv("SLA_SMTP_PASSWORD", "wrong")
    with pytest.raises(channels.DeliveryError) as caught:
        channels.send_email("lead@example.com", MESSAGE)
    said = str(caught.value)
    assert said.startswith("The mail server 127.0.0.1:") and said.endswith(".")
    assert said.endswith("did not take the message to lead@example.com: it refused the login "
                         "(SLA_SMTP_USER, SLA_SMTP_PASSWORD).")
    assert "wrong" not in said, "the password is never repeated"
    assert tls_mailbox.messages == []


def test_a_certificate_not_trusted_is_refused_before_the_login(tls_mailbox, monkeypatch,
                                                                 tmp_path):
    stranger = tmp_path / "empty.pem"
    stranger.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(stranger))
    with pytest.raises(channels.DeliveryError, match=r": its certificate is not trusted \("):
        channels.send_email("lead@example.com", MESSAGE)
    assert tls_mailbox.messages == [] and tls_mailbox.sessions == []
