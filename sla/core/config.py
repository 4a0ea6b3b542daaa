"""Where the app finds its database and secrets: self-documenting settings (name, default, help).

Each value comes from the environment first, then from ``.streamlit/secrets.toml`` (so a
Streamlit deployment can keep them there), then from the default below. Paths are anchored
to the project folder, not to the working folder: the app, ``./sla.sh`` run from anywhere,
and the tests started from the project all find the same store.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str


SETTINGS = (
    Setting("MONGO_URI", None, "MongoDB server to use. Unset: start the embedded SecantusDB "
            "server on SLA_DATA_DIR."),
    Setting("SLA_DB", "sla_tracker", "Database name on the server."),
    Setting("SLA_DATA_DIR", "data", "Folder of the embedded server's data, its log and the "
            "generated cookie key; a relative path is taken from the project folder."),
    Setting("SLA_COOKIE_KEY", None, "Secret that signs login cookies. Unset: a random key is "
            "generated once and kept in SLA_DATA_DIR."),
    Setting("SLA_MAX_UPLOAD_MB", "200", "Largest file accepted for import, in megabytes."),
    Setting("SLA_MAX_UNCOMPRESSED_MB", "3000", "Largest size an .xlsx/.xlsm may unpack to, in "
            "megabytes, as its zip directory says (checked before the workbook is opened). A "
            "million-row export unpacks to about 1,100 MB."),
    Setting("SLA_MAX_ZIP_RATIO", "200", "Largest compression ratio of a part of an .xlsx/.xlsm "
            "(over 1 MB unpacked): exports compress about 10 to 1, zip bombs 300 to 1 and more."),
    Setting("SLA_MAX_ROWS", "2000000", "Most rows a sheet or CSV may have (Excel itself stops "
            "at 1,048,576)."),
    Setting("SLA_MAX_COLUMNS", "500", "Most columns a sheet or CSV may have."),
    Setting("SLA_MAX_CELLS", "30000000", "Largest Excel sheet, in cells of its used area (rows "
            "× columns, empty cells included): a sheet is held whole in memory while it is read, "
            "about 30 bytes a cell (60 for .xls, which counts double), so one far-away cell in a "
            "tiny file could otherwise claim gigabytes."),
    Setting("SLA_MAX_CELL_CHARS", "32767", "Longest cell, in characters (Excel's own limit)."),
    Setting("SLA_LOCK_WAIT_S", "30", "How long an import (or a Settings change) waits for "
            "another one to finish before it is refused, in seconds."),
    Setting("SLA_TRUSTED_PROXIES", "127.0.0.1,::1", "Reverse proxies (addresses or CIDR "
            "networks, comma separated) whose X-Forwarded-For names the client; login "
            "throttling and the API's rate limit count per client address."),
    Setting("SLA_API_RATE_LIMIT", "120", "Requests per minute each API token may make to one "
            "app process (/api/v1/); beyond it the API answers 429 with Retry-After."),
    Setting("SLA_STALE_AFTER_HOURS", "192", "Home warns that the data is old when the last "
            "import finished longer ago than this, in hours (default: a weekly export and a "
            "day)."),
    Setting("SLA_PUBLIC_URL", "http://localhost:8501", "The app's address as its users reach "
            "it; alerts and digests link to views and tickets under it."),
    Setting("SLA_SMTP_HOST", None, "Mail server alerts are sent through (unset: e-mail "
            "subscriptions fail with a line saying so; webhooks still go)."),
    Setting("SLA_SMTP_PORT", "587", "The mail server's port (587: mail submission with "
            "STARTTLS)."),
    Setting("SLA_SMTP_STARTTLS", "true", "Switch to TLS with STARTTLS before logging in "
            "(true or false); false only for a relay on the same host or network."),
    Setting("SLA_SMTP_USER", None, "Login name on the mail server (unset: no login)."),
    Setting("SLA_SMTP_PASSWORD", None, "Its password; keep it in the environment or "
            ".streamlit/secrets.toml."),
    Setting("SLA_SMTP_FROM", "sla-tracker@localhost", "The sender address of alerts."),
)
PROJECT_DIR = Path(__file__).resolve().parents[2]
SECRETS_FILE = PROJECT_DIR / ".streamlit" / "secrets.toml"


def _secrets() -> dict:
    try:
        with SECRETS_FILE.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def get(name: str) -> str | None:
    """The value of a setting from the environment, the secrets file or its default."""
    setting = next(s for s in SETTINGS if s.name == name)
    value = os.environ.get(name)
    if value:
        return value
    secret = _secrets().get(name)
    if secret:
        return str(secret)
    return setting.default


def data_dir() -> Path:
    """SLA_DATA_DIR as an absolute path; a relative one is taken from the project folder."""
    return (PROJECT_DIR / Path(get("SLA_DATA_DIR") or "data").expanduser()).resolve()


def number(name: str) -> float:
    """A setting that must be a positive number; ConfigError (one line) when it is not."""
    text = get(name)
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = float("nan")
    if not value > 0:
        raise ConfigError(f"{name} must be a positive number, not {text!r}")
    return value


def max_upload_bytes() -> int:
    return int(number("SLA_MAX_UPLOAD_MB") * 1024 * 1024)


COOKIE_KEY_FILE = "cookie_key"
MIN_COOKIE_KEY_LENGTH = 32


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line for whoever runs the app."""


def cookie_key(create: bool = True) -> str | None:
    """SLA_COOKIE_KEY, else a random key kept in the data folder (made on first use).

    A key shorter than MIN_COOKIE_KEY_LENGTH characters is refused (ConfigError): login
    cookies signed with it could be forged by guessing it.
    """
    key = get("SLA_COOKIE_KEY")
    if key is not None:
        return _long_enough(key.strip(), "SLA_COOKIE_KEY")
    path = data_dir() / COOKIE_KEY_FILE
    if not path.exists():
        if not create:
            return None
        _create_key_file(path)
    return _long_enough(path.read_text().strip(), f"the cookie key in {path}")


def _long_enough(key: str, where: str) -> str:
    if len(key) < MIN_COOKIE_KEY_LENGTH:
        raise ConfigError(f"{where} is too short: a cookie key needs at least "
                          f"{MIN_COOKIE_KEY_LENGTH} characters")
    return key


def _create_key_file(path: Path) -> None:
    """Write a new random key to ``path`` unless another process does it first.

    The key goes to a file of its own, private (0600) from its creation and synced to disk,
    which is then linked to ``path``: the key file appears whole or not at all, and of two
    first starts racing, the link of the second fails and it reads the first one's key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made the key first: theirs is used
    finally:
        draft.unlink(missing_ok=True)
