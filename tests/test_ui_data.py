"""The Streamlit glue's data module: the upload limit follows SLA_MAX_UPLOAD_MB."""

from __future__ import annotations

import pytest
from streamlit import config as streamlit_config

from ui import data


@pytest.fixture
def upload_limit():
    """Streamlit's upload limit, put back as it was after the test."""
    before = streamlit_config.get_option("server.maxUploadSize")
    yield
    streamlit_config.set_option("server.maxUploadSize", before)


def test_streamlit_upload_limit_follows_the_setting(upload_limit, monkeypatch):
    monkeypatch.setenv("SLA_MAX_UPLOAD_MB", "7")
    data.follow_upload_limit()
    assert streamlit_config.get_option("server.maxUploadSize") == 7
    monkeypatch.setenv("SLA_MAX_UPLOAD_MB", "1500.5")
    data.follow_upload_limit()
    assert streamlit_config.get_option("server.maxUploadSize") == 1501


def test_a_bad_upload_limit_leaves_streamlits_own(upload_limit, monkeypatch):
    monkeypatch.setenv("SLA_MAX_UPLOAD_MB", "7")
    data.follow_upload_limit()
    monkeypatch.setenv("SLA_MAX_UPLOAD_MB", "lots")
    data.follow_upload_limit()
    assert streamlit_config.get_option("server.maxUploadSize") == 7
