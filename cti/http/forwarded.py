"""Who is calling when the console sits behind reverse proxies: the client's address, not the proxy's.

Each proxy appends the address it received the request from to ``X-Forwarded-For``,
so the header reads, left to right, "what the client claimed …, what each proxy
saw". Only the right-hand end can be believed, and only as far as the proxies the
operator named in ``CTI_TRUSTED_PROXIES``:

* the TCP peer is the client unless it is a trusted proxy (a header from anyone
  else is ignored: a client could write any address into it);
* from a trusted peer, walk the header from the right, skip trusted proxies, and
  take the first untrusted address;
* a malformed entry (not a bare IP address: a port, ``unknown``, an empty item)
  stops the walk at the last trusted hop — the proxy that passed it on. That
  never lets a client pick its address; at worst its requests count as the
  proxy's (a shared throttle), which is the safe side to err on.

The ``Forwarded`` header (RFC 7239), ``X-Forwarded-Proto`` and ``X-Forwarded-Host``
are not read: scheme and host stay what the connection says, and the public origin
is a setting (``CTI_PUBLIC_ORIGIN``).

>>> from ipaddress import ip_network
>>> client_address("10.0.0.1", "6.6.6.6, 198.51.100.1", [ip_network("10.0.0.1")])
'198.51.100.1'
>>> client_address("203.0.113.9", "198.51.100.1", [ip_network("10.0.0.1")])
'203.0.113.9'
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
HEADER = "X-Forwarded-For"


def client_address(peer: str | None, forwarded_for: str, trusted: Sequence[IPNetwork]) -> str | None:
    """The client's address: ``peer`` unless it is a trusted proxy, then the first untrusted hop from the right."""
    hop = _parse(peer) if peer and trusted else None
    if hop is None or not _is_trusted(hop, trusted):
        return peer
    for entry in reversed(forwarded_for.split(",")) if forwarded_for else ():
        address = _parse(entry.strip())
        if address is None:
            break
        hop = address
        if not _is_trusted(hop, trusted):
            break
    return str(hop)


def _parse(text: str) -> IPAddress | None:
    """A bare IP address (IPv4-mapped IPv6 read as the IPv4 it carries), or None."""
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)
