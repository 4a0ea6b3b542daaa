"""Who is asking: the client address that login throttling and the API's rate limit count.

Behind a reverse proxy every connection comes from the proxy, so the address the proxy saw is
taken from the last entry of ``X-Forwarded-For`` (the one the proxy itself appended; entries
before it are whatever the client sent). That header is believed only from the proxies named
in ``SLA_TRUSTED_PROXIES``; from anyone else the connection's own address counts.
"""

from __future__ import annotations

import ipaddress

from sla.core import config

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def trusted_proxies(text: str | None = None) -> tuple[Network, ...]:
    """The networks of ``SLA_TRUSTED_PROXIES`` (addresses or CIDR blocks, comma separated)."""
    text = config.get("SLA_TRUSTED_PROXIES") if text is None else text
    networks = []
    for part in (text or "").split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise config.ConfigError(f"SLA_TRUSTED_PROXIES holds {part.strip()!r}, which is "
                                         "not an address or a network") from None
    return tuple(networks)


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in ``text`` (an IPv4 address written as IPv6, ``::ffff:127.0.0.1``, as
    the IPv4 address it is); None when it is not one."""
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: tuple[Network, ...] | None = None) -> str:
    """The client's address: the proxy's last ``X-Forwarded-For`` entry when ``peer`` is a
    trusted proxy and that entry is an address, else ``peer`` itself."""
    trusted = trusted_proxies() if trusted is None else trusted
    peer_address = _address(peer)
    if peer_address is None:
        return UNKNOWN
    if forwarded_for and any(peer_address in network for network in trusted):
        forwarded = _address(forwarded_for.split(",")[-1])
        if forwarded is not None:
            return str(forwarded)
    return str(peer_address)
