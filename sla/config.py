"""Where the app finds its database and secrets: self-documenting settings (name, default, help).

Each value comes from the environment first, then from ``.streamlit/secrets.toml`` (so a
Streamlit deployment can keep them there), then from the default below.
"""

from __future__ import annotations

import os
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
    Setting("SLA_DATA_DIR", "./data", "Folder of the embedded server's data, its log and the "
            "generated cookie key."),
    Setting("SLA_COOKIE_KEY", None, "Secret that signs login cookies. Unset: a random key is "
            "generated once and kept in SLA_DATA_DIR."),
    Setting("SLA_MAX_UPLOAD_MB", "200", "Largest file accepted for import, in megabytes."),
)
SECRETS_FILE = Path(".streamlit") / "secrets.toml"


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
    return Path(get("SLA_DATA_DIR") or "./data").expanduser().resolve()


def max_upload_bytes() -> int:
    return int(float(get("SLA_MAX_UPLOAD_MB") or 200) * 1024 * 1024)


COOKIE_KEY_FILE = "cookie_key"


def cookie_key(create: bool = True) -> str | None:
    """SLA_COOKIE_KEY, else a random key kept in the data folder (made on first use)."""
    key = get("SLA_COOKIE_KEY")
    if key:
        return key
    path = data_dir() / COOKIE_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_urlsafe(32))
    path.chmod(0o600)
    return path.read_text().strip()
