"""Login lockout: a (username, address) pair is locked after 5 failures, an address after 20 failures
for any usernames; failures at one address never lock the same username out at another."""

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pass-word-123"  # UserFactory's


def login(username: str, password: str, address: str):
    return Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": username, "password": password})


def test_five_failures_lock_the_username_at_that_address_only():
    # given
    UserFactory(username="owner", is_staff=True)
    # when: five wrong passwords for the owner from one address
    answers = [login("owner", "wrong", "127.0.0.10").status_code for _ in range(5)]
    # then: the fifth locks that pair; the right password from there is refused
    assert answers == [200, 200, 200, 200, 429]
    assert login("owner", PASSWORD, "127.0.0.10").status_code == 429
    # and nobody elsewhere can keep the owner out: another address logs in
    response = login("owner", PASSWORD, "127.0.0.11")
    assert response.status_code == 302
    # and another username at the locked pair's address still logs in (4 of its 20 used)
    UserFactory(username="neighbour")
    assert login("neighbour", PASSWORD, "127.0.0.10").status_code == 302


def test_twenty_failures_from_one_address_lock_it_for_every_username():
    # given
    UserFactory(username="customer")
    # when: nineteen wrong passwords spread over usernames (never five for one) from one address
    for attempt in range(19):
        assert login(f"guess{attempt % 5}", "wrong", "127.0.0.20").status_code == 200
    # then: the address is not locked yet; the twentieth failure locks it for everyone
    assert login(f"guess{19 % 5}", "wrong", "127.0.0.20").status_code == 429
    assert login("customer", PASSWORD, "127.0.0.20").status_code == 429
    # and another address is not affected
    assert login("customer", PASSWORD, "127.0.0.21").status_code == 302


def test_logging_in_does_not_clear_an_address_of_other_usernames_failures():
    # given: an attacker with an account of her own, 19 failures against others from her address
    UserFactory(username="mallory")
    for attempt in range(19):
        login(f"guess{attempt % 4}", "wrong", "127.0.0.30")
    # when: she logs in to her own account, which resets only her own failures
    assert login("mallory", PASSWORD, "127.0.0.30").status_code == 302
    # then: one more failure still locks the address
    assert login("guess9", "wrong", "127.0.0.30").status_code == 429
