"""Who is asking: the one client address for the login lockout, the logs and the live sockets.

The address is the socket's peer. Only when that peer is a proxy named in ``TRUSTED_PROXY`` is the
right-most ``X-Forwarded-For`` entry taken instead: that entry is the one the proxy appended itself;
everything left of it came from the client and proves nothing. Daphne runs without ``--proxy-headers``
(which would take the left-most entry from anyone), so ``REMOTE_ADDR`` and ``scope["client"]`` are
always the peer.
"""

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Headers a proxy sets about the client; from anyone but a trusted proxy they are dropped.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted if entry.strip())


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(peer: str) -> bool:
    """Whether ``peer`` (a socket address) is one of the proxies in ``TRUSTED_PROXY``."""
    address = _address(peer) if peer else None
    if address is None:
        return False
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXY)))


def _peer_and_forwarded(request_or_scope: HttpRequest | Mapping[str, Any]) -> tuple[str, str]:
    if isinstance(request_or_scope, HttpRequest):
        meta = request_or_scope.META
        return str(meta.get("REMOTE_ADDR") or ""), str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    client = request_or_scope.get("client")
    peer = str(client[0]) if client else ""
    headers: Iterable[tuple[bytes, bytes]] = request_or_scope.get("headers") or ()
    forwarded = b",".join(value for name, value in headers if name.lower() == b"x-forwarded-for")
    return peer, forwarded.decode("latin-1")


def client_ip(request_or_scope: HttpRequest | Mapping[str, Any]) -> str:
    """The client's address for a request or an ASGI scope (HTTP or websocket); "" when the socket has
    none (a Unix socket).

    The peer, unless it is a trusted proxy and the right-most ``X-Forwarded-For`` entry is an address:
    then that entry. A proxy that sends no header (its own health checks) is the client itself.
    """
    peer, forwarded = _peer_and_forwarded(request_or_scope)
    if forwarded and is_trusted_proxy(peer):
        appended = _address(forwarded.rsplit(",", 1)[-1])
        if appended is not None:
            return str(appended)
    return peer


class ForwardedHeadersMiddleware:
    """Drops the ``X-Forwarded-*`` headers of a request whose peer is not a trusted proxy, so that
    ``SECURE_PROXY_SSL_HEADER`` (and anything else reading them) believes only the proxy. First in the
    middleware list: SecurityMiddleware's https redirect reads ``X-Forwarded-Proto``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(str(request.META.get("REMOTE_ADDR") or "")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
