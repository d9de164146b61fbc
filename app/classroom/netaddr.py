"""Client IP addresses, reduced before storage: a network prefix and a keyed hash, never the IP."""

import hashlib
import hmac
import ipaddress
from ipaddress import IPv4Address, IPv6Address

IPV4_PREFIX_LENGTH = 24
IPV6_PREFIX_LENGTH = 48


def parse_ip(ip: str) -> IPv4Address | IPv6Address:
    """Parse an IPv4 or IPv6 address; raises ValueError if `ip` is neither.

    An IPv4-mapped IPv6 address is the IPv4 address it carries, and an IPv6 zone
    (``%eth0``) is dropped, so one client address has one canonical form.
    """
    if not isinstance(ip, str):
        raise ValueError("an IP address must be given as a string")
    address = ipaddress.ip_address(ip)
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id is not None:
            return IPv6Address(int(address))
    return address


def truncate_ip(ip: str) -> str:
    """The network the address belongs to: IPv4 as ``a.b.c.0/24``, IPv6 as its /48."""
    address = parse_ip(ip)
    prefix_length = IPV4_PREFIX_LENGTH if address.version == 4 else IPV6_PREFIX_LENGTH
    return str(ipaddress.ip_network((address, prefix_length), strict=False))


def ip_keyed_hash(ip: str, key: bytes) -> str:
    """HMAC-SHA256 (hex) of the canonical full address, so equal IPs match without keeping them."""
    if not key:
        raise ValueError("the IP hash key must not be empty")
    canonical = str(parse_ip(ip)).encode("ascii")
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()
