"""Sending a message: e-mail through the SMTP server the settings name (STARTTLS and a login
when set), or a JSON POST to a webhook. A failure is ``DeliveryError`` in one sentence, which
the scheduler records and retries."""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sla.core import config

TIMEOUT_S = 20


class DeliveryError(Exception):
    """A message could not be handed over; one sentence naming where it was going."""


def send(channel: str, to: str, message: dict) -> None:
    """Hand the message over by ``channel`` ("email" or "webhook") to ``to``."""
    if channel == "email":
        send_email(to, message)
    else:
        post_webhook(to, message["json"])


def send_email(to: str, message: dict) -> None:
    """The message as a plain-text and HTML e-mail to ``to``, with its attachments
    ((name, bytes, media type), when it has any)."""
    host = config.get("SLA_SMTP_HOST")
    if not host:
        raise DeliveryError("No mail server is set: set SLA_SMTP_HOST (and SLA_SMTP_PORT, "
                            "SLA_SMTP_USER, SLA_SMTP_PASSWORD).")
    mail = EmailMessage()
    mail["Subject"] = message["subject"]
    mail["From"] = config.get("SLA_SMTP_FROM")
    mail["To"] = to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="sla-tracker")
    mail.set_content(message["text"])
    mail.add_alternative(message["html"], subtype="html")
    for name, data, media_type in message.get("attachments", ()):
        main, _, sub = media_type.partition("/")
        mail.add_attachment(data, maintype=main, subtype=sub, filename=name)
    port = config.get("SLA_SMTP_PORT")
    try:
        with smtplib.SMTP(host, int(port), timeout=TIMEOUT_S) as server:
            if (config.get("SLA_SMTP_STARTTLS") or "").lower() not in ("false", "0", "no"):
                server.starttls(context=ssl.create_default_context())
            user = config.get("SLA_SMTP_USER")
            if user:
                server.login(user, config.get("SLA_SMTP_PASSWORD") or "")
            server.send_message(mail)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        raise DeliveryError(f"The mail server {host}:{port} did not take the message to "
                            f"{to}: {_reason(exc)}.") from None


def post_webhook(url: str, payload: dict) -> None:
    """POST the payload as JSON; any answer but 2xx is a failure."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "sla-tracker-alerts"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"The webhook {masked(url)} answered {exc.code}.") from None
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"The webhook {masked(url)} could not be reached: "
                            f"{_reason(exc)}.") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its certificate is not trusted ({exc.verify_message})"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "it refused the login (SLA_SMTP_USER, SLA_SMTP_PASSWORD)"
    if isinstance(exc, smtplib.SMTPResponseException):
        reason = f"it answered {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
        return " ".join(reason.split()).rstrip(".")[:160]
    reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
    text = " ".join(str(reason).split()).rstrip(".")
    return text[:160] or type(exc).__name__


def masked(url: str) -> str:
    """A webhook's address without its path, which often holds its secret: what lists and
    messages show of it."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/")[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}" + ("/…" if "/" in rest.strip("/") else "") if rest else url[:40]
