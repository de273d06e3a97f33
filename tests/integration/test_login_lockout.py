"""Login lockout through the web tier as `make run` starts it (supervisord's daphne command line): the
address a login is counted against is the socket's, or, behind a trusted proxy, the one that proxy
appended to X-Forwarded-For. Django's test client never goes through daphne's header handling.

Loopback only: every request goes to 127.0.0.1, some from the source address 127.0.0.2; the
X-Forwarded-For values are only header text."""

import http.client
import re
import urllib.parse

import pytest
from axes.models import AccessAttempt

from tests.browser.conftest import free_port, server_env, wait_http
from tests.factories import UserFactory
from tests.supervised import SupervisedShop

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"  # UserFactory's
LOGGED_IN, WRONG_PASSWORD, LOCKED = 302, 200, 429


def _shop(tmp_path, **env: str):
    shop = SupervisedShop({**server_env(), **env}, tmp_path / "run", free_port())
    shop.start()
    try:
        wait_http(f"{shop.url}/accounts/login/", timeout=60)
    except RuntimeError:
        shop.stop()
        raise AssertionError(f"shop did not come up\n{shop.log()}") from None
    return shop


@pytest.fixture
def start_shop(tmp_path):
    started: list[SupervisedShop] = []

    def start(**env: str) -> SupervisedShop:
        started.append(_shop(tmp_path, **env))
        return started[-1]

    yield start
    for shop in started:
        shop.stop()


def login(shop: SupervisedShop, username: str, password: str, *, source: str = "127.0.0.1", forwarded_for=None) -> int:
    """One browser's login: fetch the form (CSRF cookie and token), post it; the status of the answer."""
    port = int(shop.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(source, 0))
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    try:
        connection.request("GET", "/accounts/login/", headers=headers)
        form = connection.getresponse()
        page = form.read().decode()
        cookie = re.search(r"csrftoken=([^;]+)", form.getheader("Set-Cookie") or "")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert cookie and token, page[:500]
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
        )
        connection.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                **headers,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie.group(1)}",
            },
        )
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def recorded_addresses() -> set[str]:
    return set(AccessAttempt.objects.values_list("ip_address", flat=True))


def test_a_forged_forwarded_for_buys_no_attempts_and_locks_nobody_out_elsewhere(start_shop):
    # given: the shop as `make run` runs it, reached directly (no proxy), and the owner's account
    shop = start_shop()
    UserFactory(username="owner", is_staff=True)
    # when: five wrong passwords for the owner, each claiming another X-Forwarded-For address
    for attempt in range(5):
        status = login(shop, "owner", "wrong", forwarded_for=f"127.0.5.{attempt}")
        assert status in (WRONG_PASSWORD, LOCKED), status
    # then: every failure counted against the socket's address, and a sixth try (even the right
    # password, from yet another claimed address) is locked out
    assert recorded_addresses() == {"127.0.0.1"}
    assert login(shop, "owner", PASSWORD, forwarded_for="127.0.5.99") == LOCKED
    # and the owner, from another real address, still logs in
    assert login(shop, "owner", PASSWORD, source="127.0.0.2") == LOGGED_IN


def test_an_address_trying_many_usernames_is_locked_after_twenty_failures(start_shop):
    # given: the shop reached directly, a customer who knows her password
    shop = start_shop()
    UserFactory(username="customer")
    # when: twenty wrong passwords for twenty usernames, each claiming another forwarded address
    for attempt in range(20):
        login(shop, f"guess{attempt}", "wrong", forwarded_for=f"127.0.6.{attempt}")
    # then: that socket address is locked for every username, and another one is not
    assert recorded_addresses() == {"127.0.0.1"}
    assert login(shop, "customer", PASSWORD, forwarded_for="127.0.6.99") == LOCKED
    assert login(shop, "customer", PASSWORD, source="127.0.0.2") == LOGGED_IN


def test_behind_a_trusted_proxy_the_address_it_appended_counts(start_shop):
    # given: a proxy on 127.0.0.1 named in TRUSTED_PROXY; it appends the address it saw to whatever
    # X-Forwarded-For the client sent
    shop = start_shop(TRUSTED_PROXY="127.0.0.1")
    UserFactory(username="owner", is_staff=True)
    # when: a client at 127.0.7.7 fails five times, forging a different left-most address each time
    for attempt in range(5):
        login(shop, "owner", "wrong", forwarded_for=f"127.0.9.{attempt}, 127.0.7.7")
    # then: the proxy's entry (right-most) was counted, and that client is locked out
    assert recorded_addresses() == {"127.0.7.7"}
    assert login(shop, "owner", PASSWORD, forwarded_for="127.0.9.99, 127.0.7.7") == LOCKED
    # and the owner at another address behind the same proxy logs in
    assert login(shop, "owner", PASSWORD, forwarded_for="127.0.9.7, 127.0.7.8") == LOGGED_IN
    # and a peer that is not the proxy is counted by its own address, whatever it claims
    assert login(shop, "owner", "wrong", source="127.0.0.2", forwarded_for="127.0.7.7") == WRONG_PASSWORD
    assert recorded_addresses() == {"127.0.7.7", "127.0.0.2"}
