"""Keep webhooks from being aimed at our own network (server-side request forgery).

A webhook URL is chosen by whoever registers it, and our workers sit inside the network, next
to databases and cloud metadata services. So a URL is resolved once, every address it resolves
to is checked (private, loopback, link-local, multicast, unspecified, reserved, shared CGNAT
space, and IPv4 hidden inside IPv6 as mapped, 6to4, Teredo or NAT64 addresses), and the request
then connects to the checked address itself, with the name kept for the ``Host`` header and TLS
(SNI and certificate checks). Resolving again at connect time would let a DNS answer that
changes between the check and the connection (DNS rebinding) slip past. Numeric spellings such
as ``2130706433``, ``0x7f000001`` or ``0177.0.0.1`` need no special case: the resolver turns
them into the address they mean, and that address is what is checked.

``SVERKA_WEBHOOK_ALLOW_PRIVATE_TARGETS=true`` lifts the address check (tests, closed labs).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.errors import InvalidInput

MAX_URL_LENGTH = 2048
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class UnsafeTarget(InvalidInput):
    """A webhook URL we will not call."""

    code = "unsafe_webhook_target"


@dataclass(frozen=True, slots=True)
class Target:
    """A URL checked and pinned: connect to ``address``, present ``host`` as the name."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"

    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address (path and query unchanged)."""
        parts = urlsplit(self.url)
        address = f"[{self.address}]" if ":" in self.address else self.address
        path = parts.path or "/"
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.scheme}://{address}:{self.port}{path}{query}"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host``, in its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse_webhook_url(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of an acceptable webhook URL (http or https, no credentials, no fragment)."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"URL longer than {MAX_URL_LENGTH} characters", field="url")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"not a valid URL: {exc}", field="url") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise UnsafeTarget("webhook URLs must use http or https", field="url")
    if not parts.hostname:
        raise UnsafeTarget("webhook URL has no host", field="url")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("webhook URLs must not carry credentials; the signature authenticates us", field="url")
    if parts.fragment:
        raise UnsafeTarget("webhook URLs must not have a #fragment", field="url")
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: str) -> str | None:
    """Why we refuse to connect to ``address``, or None when it is a public unicast address."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = forbidden_reason(str(inner))
            return f"{reason} (IPv4 {inner} inside IPv6)" if reason else None
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def resolve_target(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> Target:
    """Check ``url`` and pin it to one checked address; raise :class:`UnsafeTarget` otherwise."""
    scheme, host, port = parse_webhook_url(url)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"cannot resolve {host}: {exc}", field="url") from exc
    if not addresses:
        raise UnsafeTarget(f"{host} resolves to no address", field="url")
    if not allow_private:
        for address in addresses:  # every one: a name with one public and one private answer is refused
            reason = forbidden_reason(address)
            if reason:
                raise UnsafeTarget(f"{host} resolves to {address}, {reason}", field="url")
    return Target(url=url.strip(), scheme=scheme, host=host, port=port, address=addresses[0])
