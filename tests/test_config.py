"""Settings from the environment, the secrets file or defaults; the generated cookie key."""

from __future__ import annotations

import stat
import threading

import pytest

from sla.core import config
from tests.conftest import ROOT


def test_environment_then_secrets_then_default(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "SECRETS_FILE", tmp_path / ".streamlit" / "secrets.toml")
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


@pytest.fixture
def key_folder(tmp_path, monkeypatch):
    """A data folder without a cookie key, and no SLA_COOKIE_KEY."""
    monkeypatch.delenv("SLA_COOKIE_KEY", raising=False)
    monkeypatch.setenv("SLA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def test_racing_first_starts_end_with_one_key(key_folder):
    racers = 16
    start, keys = threading.Barrier(racers), []

    def first_start() -> None:
        start.wait()
        keys.append(config.cookie_key())

    threads = [threading.Thread(target=first_start) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == racers and len(set(keys)) == 1
    assert (key_folder / config.COOKIE_KEY_FILE).read_text() == keys[0]
    assert [p.name for p in key_folder.iterdir()] == [config.COOKIE_KEY_FILE]  # no drafts left
    assert stat.S_IMODE((key_folder / config.COOKIE_KEY_FILE).stat().st_mode) == 0o600


@pytest.mark.parametrize("key", ["", "   ", "k" * (config.MIN_COOKIE_KEY_LENGTH - 1)])
def test_a_short_or_empty_key_file_is_refused(key_folder, key):
    key_folder.mkdir()
    (key_folder / config.COOKIE_KEY_FILE).write_text(key)
    with pytest.raises(config.ConfigError, match="too short") as refused:
        config.cookie_key()
    assert "\n" not in str(refused.value) and config.COOKIE_KEY_FILE in str(refused.value)


@pytest.mark.parametrize("key", ["   ", "short", "k" * (config.MIN_COOKIE_KEY_LENGTH - 1)])
def test_a_short_cookie_key_setting_is_refused(key_folder, monkeypatch, key):
    monkeypatch.setenv("SLA_COOKIE_KEY", key)
    with pytest.raises(config.ConfigError, match="SLA_COOKIE_KEY is too short") as refused:
        config.cookie_key()
    assert "\n" not in str(refused.value)
    monkeypatch.setenv("SLA_COOKIE_KEY", "k" * config.MIN_COOKIE_KEY_LENGTH)
    assert config.cookie_key() == "k" * config.MIN_COOKIE_KEY_LENGTH


def test_upload_limit(monkeypatch):
    monkeypatch.setenv("SLA_MAX_UPLOAD_MB", "2")
    assert config.max_upload_bytes() == 2 * 1024 * 1024


def test_streamlit_config_keeps_exports_safe_and_runs_lean():
    """No toolbar CSV (it would not neutralise formulas), no full GC after every run, no
    source watching in a served app."""
    import tomllib

    with (ROOT / ".streamlit" / "config.toml").open("rb") as handle:
        settings = tomllib.load(handle)
    assert settings["client"]["disableDataExport"] is True
    assert settings["runner"]["postScriptGC"] is False
    assert settings["server"]["fileWatcherType"] == "none"
    assert settings["server"]["enableXsrfProtection"] is True


def test_data_folder_does_not_depend_on_the_working_folder(tmp_path, monkeypatch):
    """Run from another folder, the CLI and the app still use the project's store."""
    monkeypatch.delenv("SLA_DATA_DIR", raising=False)
    monkeypatch.setattr(config, "SECRETS_FILE", tmp_path / "none.toml")
    monkeypatch.chdir(tmp_path)
    assert config.data_dir() == ROOT / "data"
    monkeypatch.setenv("SLA_DATA_DIR", "elsewhere")
    assert config.data_dir() == ROOT / "elsewhere"
    monkeypatch.setenv("SLA_DATA_DIR", str(tmp_path / "abs"))
    assert config.data_dir() == tmp_path / "abs"


def test_secrets_file_is_the_projects():
    assert config.SECRETS_FILE == ROOT / ".streamlit" / "secrets.toml"
