"""The one client address: the socket's peer, or the right-most X-Forwarded-For entry when that peer is a
trusted proxy; forwarded headers from anyone else are ignored."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from chefshop.clients import ForwardedHeadersMiddleware, client_ip


def request(peer: str, **headers: str):
    return RequestFactory().get("/", REMOTE_ADDR=peer, **{f"HTTP_{k.upper()}": v for k, v in headers.items()})


def scope(peer: str | None, **headers: str) -> dict:
    return {
        "type": "websocket",
        "client": [peer, 50000] if peer else None,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }


@override_settings(TRUSTED_PROXY=[])
def test_without_a_trusted_proxy_the_peer_is_the_client():
    assert client_ip(request("127.0.0.5", x_forwarded_for="127.0.9.9")) == "127.0.0.5"
    assert client_ip(scope("127.0.0.5", x_forwarded_for="127.0.9.9")) == "127.0.0.5"


@override_settings(TRUSTED_PROXY=["127.0.0.1", "::1"])
@pytest.mark.parametrize("make", [request, scope])
def test_behind_a_trusted_proxy_the_right_most_forwarded_address_is_the_client(make):
    assert client_ip(make("127.0.0.1", x_forwarded_for="127.0.9.9, 127.0.7.7")) == "127.0.7.7"
    assert client_ip(make("::1", x_forwarded_for="127.0.7.8")) == "127.0.7.8"
    # a peer that is not the proxy is itself, whatever it claims
    assert client_ip(make("127.0.0.2", x_forwarded_for="127.0.7.7")) == "127.0.0.2"
    # the proxy's own requests (no header), and a header that is not an address
    assert client_ip(make("127.0.0.1")) == "127.0.0.1"
    assert client_ip(make("127.0.0.1", x_forwarded_for="127.0.9.9, not-an-address")) == "127.0.0.1"


@override_settings(TRUSTED_PROXY=["127.0.0.0/30"])
def test_a_trusted_proxy_may_be_a_network():
    assert client_ip(request("127.0.0.3", x_forwarded_for="127.0.7.7")) == "127.0.7.7"
    assert client_ip(request("127.0.0.4", x_forwarded_for="127.0.7.7")) == "127.0.0.4"


def test_a_websocket_without_a_peer_address_has_none():
    assert client_ip(scope(None, x_forwarded_for="127.0.7.7")) == ""


@pytest.mark.parametrize(
    ("peer", "trusted", "secure"),
    [("127.0.0.2", ["127.0.0.1"], False), ("127.0.0.1", ["127.0.0.1"], True), ("127.0.0.1", [], False)],
)
def test_forwarded_proto_is_believed_only_from_a_trusted_proxy(peer, trusted, secure):
    # given: production's proxy header setting, and a request claiming https
    seen = []
    middleware = ForwardedHeadersMiddleware(lambda r: seen.append(r.is_secure()) or HttpResponse())
    with override_settings(TRUSTED_PROXY=trusted, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        # when
        middleware(request(peer, x_forwarded_proto="https", x_forwarded_host="evil.example"))
    # then
    assert seen == [secure]
