"""Who is calling, behind the reverse proxies the operator trusts (``CTI_TRUSTED_PROXIES``).

The peer of the TCP connection is the client unless it is a trusted proxy; then
``X-Forwarded-For`` is read from the right (each proxy appends the address it saw),
trusted proxies are skipped, and the first untrusted address is the client. Anything
left of that is whatever the client wrote and is never believed.
"""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from cti.http.forwarded import client_address

PROXIES = (ip_network("10.0.0.1"), ip_network("10.1.0.0/16"), ip_network("2001:db8:ff::/48"))


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected", "why"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9", "an untrusted peer's header is ignored"),
        ("203.0.113.9", "", "203.0.113.9", "no header, untrusted peer"),
        ("10.0.0.1", "198.51.100.1", "198.51.100.1", "one trusted proxy"),
        ("10.0.0.1", "1.2.3.4, 198.51.100.1", "198.51.100.1", "a forged entry left of the real client"),
        ("10.0.0.1", "198.51.100.1, 10.1.2.3", "198.51.100.1", "two trusted proxies in a row"),
        ("10.0.0.1", "198.51.100.1,10.1.2.3", "198.51.100.1", "no space after the comma"),
        ("10.0.0.1", "10.1.9.9, 10.1.2.3", "10.1.9.9", "every hop trusted: the furthest one"),
        ("10.0.0.1", "", "10.0.0.1", "a trusted proxy that says nothing"),
        ("10.0.0.1", "not-an-ip, 10.1.2.3", "10.1.2.3", "malformed entry: stop at the last trusted hop"),
        ("10.0.0.1", "198.51.100.1, unknown", "10.0.0.1", "malformed right next to us: the proxy itself"),
        ("10.0.0.1", "198.51.100.1:4711", "10.0.0.1", "a port is not an address"),
        ("10.0.0.1", "198.51.100.1, ", "10.0.0.1", "an empty entry is malformed"),
        ("10.0.0.1", "2001:db8::7", "2001:db8::7", "IPv6 client"),
        ("2001:db8:ff::1", "2001:DB8:0:0::7", "2001:db8::7", "IPv6 proxy; the address in its usual form"),
        ("::ffff:10.0.0.1", "198.51.100.1", "198.51.100.1", "an IPv4 proxy seen on a dual-stack socket"),
        ("10.0.0.1", "::ffff:198.51.100.1", "198.51.100.1", "an IPv4 client written IPv6-mapped"),
        ("10.0.0.2", "198.51.100.1", "10.0.0.2", "next to a trusted address is not trusted"),
    ],
)
def test_the_client_is_the_first_untrusted_address_from_the_right(peer, forwarded_for, expected, why):
    assert client_address(peer, forwarded_for, PROXIES) == expected, why


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address("10.0.0.1", "198.51.100.1", ()) == "10.0.0.1"


def test_an_unknown_peer_stays_unknown():
    assert client_address(None, "198.51.100.1", PROXIES) is None
