"""Whose address a request counts under: X-Forwarded-For's last entry from a trusted proxy
only, IPv4 written as IPv6 taken as IPv4, and anything that is not an address refused."""

from __future__ import annotations

import pytest

from sla.core import clients, config

LOCAL = clients.trusted_proxies("127.0.0.1,::1")


@pytest.mark.parametrize("peer, forwarded, expected", [
    ("127.0.0.1", "203.0.113.7", "203.0.113.7"),
    ("::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7"),  # how Streamlit reports localhost
    ("127.0.0.1", "1.2.3.4, 203.0.113.7", "203.0.113.7"),  # the client wrote the first
    ("198.51.100.9", "203.0.113.7", "198.51.100.9"),  # not a proxy: its own address
    ("127.0.0.1", None, "127.0.0.1"),
    ("127.0.0.1", "not-an-address", "127.0.0.1"),
    ("127.0.0.1", "<script>", "127.0.0.1"),
    (None, "203.0.113.7", clients.UNKNOWN),
    ("2001:db8::1", None, "2001:db8::1"),
])
def test_client_address(peer, forwarded, expected):
    assert clients.client_address(peer, forwarded, LOCAL) == expected


def test_trusted_proxies_take_networks(monkeypatch):
    monkeypatch.setenv("SLA_TRUSTED_PROXIES", "10.0.0.0/8, 172.16.0.0/12")
    assert clients.client_address("172.20.0.5", "203.0.113.7") == "203.0.113.7"
    assert clients.client_address("127.0.0.1", "203.0.113.7") == "127.0.0.1"
    monkeypatch.setenv("SLA_TRUSTED_PROXIES", "nginx")
    with pytest.raises(config.ConfigError, match="'nginx', which is not an address"):
        clients.trusted_proxies()
