"""Settings from the environment, the secrets file or defaults; the generated cookie key."""

from __future__ import annotations

import stat

from sla import config


def test_environment_then_secrets_then_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLA_DB", raising=False)
    assert config.get("SLA_DB") == "sla_tracker"
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('SLA_DB = "from_secrets"\n')
    assert config.get("SLA_DB") == "from_secrets"
    monkeypatch.setenv("SLA_DB", "from_env")
    assert config.get("SLA_DB") == "from_env"


def test_every_setting_documents_itself():
    for setting in config.SETTINGS:
        assert setting.name.isupper() and len(setting.help) > 20


def test_cookie_key_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SLA_COOKIE_KEY", raising=False)
    monkeypatch.setenv("SLA_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert config.cookie_key(create=False) is None
    key = config.cookie_key()
    assert len(key) >= 32 and config.cookie_key() == key
    mode = (tmp_path / config.COOKIE_KEY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    monkeypatch.setenv("SLA_COOKIE_KEY", "k" * 40)
    assert config.cookie_key() == "k" * 40


def test_upload_limit(monkeypatch):
    monkeypatch.setenv("SLA_MAX_UPLOAD_MB", "2")
    assert config.max_upload_bytes() == 2 * 1024 * 1024
