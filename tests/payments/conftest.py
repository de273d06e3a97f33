"""A real localstripe (its own process, fresh state, a free port) and the shop's payments turned on."""

import hashlib
import hmac
import json
import time

import pytest

from tests.conftest import place_order

CARDS = {
    "ok": "4242424242424242",
    "declined": "4000000000000341",
    "3ds": "4000002500003155",
}


@pytest.fixture
def payments_on(settings, localstripe_url):
    from payments import provider

    settings.PAYMENTS = True
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_REGISTER_WEBHOOK = ""
    provider.client.cache_clear()
    yield settings
    provider.client.cache_clear()


@pytest.fixture
def jobs_run_here():
    """The payments app's jobs, queued after commit, run in this process as the commit happens, so a test
    sees their effect (other apps' jobs, such as the undo timer, stay on the broker)."""
    from unittest import mock

    from django.db import transaction

    from payments import tasks

    def run_after_commit(task, *args):
        transaction.on_commit(lambda: task.apply(args).get())

    with mock.patch.object(tasks, "_after_commit", run_after_commit):
        yield


def card(kind: str = "ok") -> str:
    """What the browser's card form hands the shop: a PaymentMethod's id (``pm_…``)."""
    from payments import provider

    method = provider.client().v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": CARDS[kind], "exp_month": 12, "exp_year": 2031, "cvc": "123"},
        }
    )
    assert method.id.startswith("pm_")
    return str(method.id)


def authorised_intent(attempt, kind: str = "ok") -> dict:
    """An intent made and confirmed at the provider for ``attempt`` (as the worker would), returned as the
    provider gives it, without the shop having heard of it yet."""
    from payments import provider

    made = provider.create_intent(
        amount=attempt.amount, currency="EUR", card=card(kind), attempt_key=str(attempt.key), order_ref="x"
    )
    return provider.confirm_intent(made["id"], str(attempt.key))


def held_order(slot, **kwargs):
    from orders.models import Order

    order = place_order(slot, **kwargs)
    assert order.status == Order.Status.AWAITING_PAYMENT
    return order


def paid(order, kind: str = "ok"):
    """Start an attempt and send it the way the worker does; returns the attempt, fresh."""
    from payments import services

    attempt = services.attempt_start(order=order, card=card(kind))
    services.attempt_send(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    order.refresh_from_db()
    return attempt


def signed(event: dict, secret: str, *, at: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    stamp = at or int(time.time())
    signature = hmac.new(secret.encode(), b"%d.%s" % (stamp, payload), hashlib.sha256).hexdigest()
    return payload, f"t={stamp},v1={signature}"
