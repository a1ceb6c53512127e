"""Sending a webhook request without letting a URL reach inside the network.

A URL must be https (plain http only with WEBHOOKS_ALLOW_HTTP), carry no credentials,
and its host must resolve only to public addresses: loopback, private, link-local (cloud
metadata services live there), shared, multicast, reserved and unspecified addresses are
refused, IPv4-mapped IPv6 too. The check runs when an endpoint is saved and again before
every request, and the request connects to the very address that was checked, so a DNS
answer that changes in between (DNS rebinding) cannot redirect it. Redirects are not
followed. WEBHOOKS_ALLOW_PRIVATE_ADDRESSES lifts the address check, for local development
and tests.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from workspaces.errors import field_error

# Cloud metadata services, refused whatever the settings say.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254")
)
MAX_RESPONSE_BYTES = 64 * 1024


class UnsafeURL(Exception):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Response:
    status: int
    latency_ms: int


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address in METADATA_ADDRESSES:
        return True
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return not address.is_global or address.is_multicast


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL, else UnsafeURL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeURL("Not a valid URL.", "invalid") from None
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_HTTP else ("https",)
    if scheme not in allowed:
        raise UnsafeURL("Webhook URLs must use https.", "insecure_scheme")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.", "invalid")
    if parts.username or parts.password:
        raise UnsafeURL("Credentials in the URL are not allowed.", "credentials_in_url")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Target:
    """The URL's target with the addresses it may be sent to, else UnsafeURL."""
    scheme, host, port, path = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL(f"The host {host!r} could not be resolved.", "unresolvable") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if _refused(ipaddress.ip_address(address.split("%")[0])):
            raise UnsafeURL(
                f"The host {host!r} resolves to {address}, a loopback, private, link-local "
                "or otherwise internal address.",
                "private_address",
            )
    return Target(scheme, host, port, path, tuple(addresses))


def check_url(url: str, field: str = "url") -> str:
    """The URL, stripped, if it may receive webhooks; else a ValidationError on `field`."""
    try:
        resolve(url)
    except UnsafeURL as unsafe:
        raise field_error(field, unsafe.message, unsafe.code) from None
    return url.strip()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, address: str, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: str, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the URL's host name, as without pinning.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST to the URL (checked again now); UnsafeURL, or OSError/HTTPException on a
    network failure. Any HTTP status is a Response."""
    target = resolve(url)
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, target.addresses[0], timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return Response(response.status, int((time.monotonic() - started) * 1000))
    finally:
        connection.close()
