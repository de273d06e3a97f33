"""Card payments against a running localstripe: hold, authorise, capture, undo, decline, expire, refund."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
import requests
from django.utils import timezone

from catalog.models import DishDay
from chefshop.statemachine import Actor
from orders import services as order_services
from orders.models import Notification, Order
from payments import provider, services
from payments.models import PaymentAttempt
from slots.models import DeliverySlot
from tests.factories import CartLineFactory, MenuItemFactory
from tests.payments.conftest import authorised_intent, card, held_order, paid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("payments_on")]
S, A = Order.Status, PaymentAttempt.Status


def _in_thread(fn):
    from django.db import connection

    try:
        fn()
    finally:
        connection.close()


def _intent(attempt):
    return provider.retrieve_intent(attempt.intent_id)


def _window_over(order) -> None:
    Order.objects.filter(pk=order.pk).update(undo_until=timezone.now() - timedelta(seconds=1))
    order.refresh_from_db()


def test_a_held_order_takes_its_place_and_portions_until_paid(slot):
    dish = MenuItemFactory(daily_portions=5, price="12.50")
    order = held_order(slot, cart=CartLineFactory(item=dish, quantity=2).cart)
    assert order.pays_by_card and order.hold_until > timezone.now()
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 1
    assert DishDay.objects.get(item=dish).reserved == 2
    # when: the card is authorised
    attempt = paid(order)
    # then: received (the undo window starts), for the order's amount in cents, nothing captured yet
    assert attempt.status == A.AUTHORISED and order.status == S.RECEIVED
    assert attempt.amount == 2500 and attempt.currency == "EUR"
    assert _intent(attempt)["status"] == "requires_capture"
    assert "authorised" in order.payment_note
    # the undo-window sweep asks for a capture on every run: one job is queued, not one per run
    assert services.payment_capture_wanted(order_id=order.pk)
    assert not services.payment_capture_wanted(order_id=order.pk)


def test_undo_in_the_window_cancels_the_intent_and_nothing_is_ever_captured(slot, settings):
    settings.ORDER_UNDO_SECONDS = 5
    order = held_order(slot)
    attempt = paid(order)
    order_services.order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)
    assert services.payment_release(order_id=order.pk) == ["now canceled"]
    attempt.refresh_from_db()
    assert attempt.status == A.CANCELED and _intent(attempt)["status"] == "canceled"
    assert services.payment_capture(order_id=order.pk) == "nothing to capture"
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0


@pytest.mark.django_db(transaction=True)
def test_the_window_ends_and_the_payment_is_captured_exactly_once(slot, settings):
    settings.ORDER_UNDO_SECONDS = 5
    order = held_order(slot)
    attempt = paid(order)
    _window_over(order)
    real = provider.capture_intent
    calls = []

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    # when: the countdown task, the sweep and a retry all capture at once
    outcomes = []
    with mock.patch.object(provider, "capture_intent", side_effect=counted):
        threads = [
            threading.Thread(
                target=_in_thread, args=(lambda: outcomes.append(services.payment_capture(order_id=order.pk)),)
            )
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    # then: one capture at the provider, the order confirmed once
    assert len(calls) == 1, outcomes
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert attempt.status == A.CAPTURED and _intent(attempt)["status"] == "succeeded"
    assert order.status == S.CONFIRMED and order.payment_note.startswith("Paid")
    assert order.events.filter(to_status=S.CONFIRMED).count() == 1


def test_a_declined_card_says_why_and_another_card_pays_the_same_order(slot):
    order = held_order(slot)
    declined = paid(order, "declined")
    assert declined.status == A.DECLINED and "declined" in declined.message
    assert order.status == S.AWAITING_PAYMENT and order.payment_note.startswith("Declined")
    assert Notification.objects.filter(order=order, kind=Notification.Kind.PAYMENT_FAILED).count() == 1
    second = paid(order)
    assert second.status == A.AUTHORISED and order.status == S.RECEIVED
    assert PaymentAttempt.objects.filter(order=order).count() == 2


def test_a_double_click_on_pay_makes_one_attempt(slot):
    from payments.errors import PaymentInProgress

    order = held_order(slot)
    services.attempt_start(order=order, card=card())
    with pytest.raises(PaymentInProgress):
        services.attempt_start(order=order, card=card())
    assert PaymentAttempt.objects.filter(order=order).count() == 1


def test_a_hold_that_runs_out_returns_place_and_portions_and_cancels_the_intent(slot):
    dish = MenuItemFactory(daily_portions=3)
    order = held_order(slot, cart=CartLineFactory(item=dish, quantity=1).cart)
    attempt = paid(order, "3ds")  # the customer walked away at 3-D Secure
    assert attempt.status == A.ACTION and attempt.client_secret
    # when: the hold runs out and the sweep runs
    later = order.hold_until + timedelta(seconds=1)
    expired = order_services.orders_expire_overdue_holds(now=later)
    services.payments_sweep(now=later)
    # then: expired, everything back, the intent cancelled, one email
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert expired == 1 and order.status == S.PAYMENT_EXPIRED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0 and DishDay.objects.get(item=dish).reserved == 0
    assert attempt.status == A.CANCELED and _intent(attempt)["status"] == "canceled"
    assert Notification.objects.filter(order=order, kind=Notification.Kind.PAYMENT_EXPIRED).count() == 1
    order_services.orders_expire_overdue_holds(now=later)  # again: nothing more
    services.payments_sweep(now=later)
    assert Notification.objects.filter(order=order).count() == 1


def test_an_authorisation_after_the_hold_ran_out_is_cancelled_not_kept(slot):
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    intent = authorised_intent(attempt)  # the bank is slow to answer ...
    Order.objects.filter(pk=order.pk).update(hold_until=timezone.now() - timedelta(seconds=1))
    assert order_services.order_expire_if_due(order_id=order.pk)
    services.attempt_apply(intent=intent, attempt_id=attempt.pk)  # ... "authorised", just after the hold ran out
    assert services.payment_release(order_id=order.pk) == ["now canceled"]
    attempt.refresh_from_db()
    assert attempt.status == A.CANCELED and _intent(attempt)["status"] == "canceled"
    assert Order.objects.get(pk=order.pk).status == S.PAYMENT_EXPIRED


def test_a_card_is_never_asked_once_the_hold_ran_out(slot):
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    Order.objects.filter(pk=order.pk).update(hold_until=timezone.now() - timedelta(seconds=1))
    assert order_services.order_expire_if_due(order_id=order.pk)
    assert services.attempt_send(attempt_id=attempt.pk) == "now canceled"
    attempt.refresh_from_db()
    assert attempt.status == A.CANCELED and _intent(attempt)["status"] != "requires_capture"


def test_cancelling_a_captured_order_refunds_it_once(slot, settings):
    settings.ORDER_UNDO_SECONDS = 5
    order = held_order(slot)
    attempt = paid(order)
    _window_over(order)
    services.payment_capture(order_id=order.pk)
    order.refresh_from_db()
    order_services.order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)
    assert services.payment_release(order_id=order.pk) == ["now refunded"]
    assert services.payment_release(order_id=order.pk) == []  # twice: nothing more
    attempt.refresh_from_db()
    assert attempt.status == A.REFUNDED and attempt.refund_id
    order.refresh_from_db()
    assert order.events.filter(note__startswith="Refunded").count() == 1
    assert Notification.objects.filter(order=order, kind=Notification.Kind.REFUNDED).count() == 1


def _sent_to_a_provider_that_never_answers(slot, settings):
    """An attempt sent while the provider accepts connections and never answers; the provider is back
    afterwards. Returns (order, attempt)."""
    import socket

    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    real_base = settings.STRIPE_API_BASE
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings.STRIPE_READ_TIMEOUT = 1.0
        provider.client.cache_clear()
        assert services.attempt_send(attempt_id=attempt.pk) == "pending"
    settings.STRIPE_API_BASE = real_base
    provider.client.cache_clear()
    order.refresh_from_db()
    return order, attempt


def test_a_provider_that_never_answers_leaves_the_payment_pending_and_the_sweep_resolves_it(slot, settings):
    order, attempt = _sent_to_a_provider_that_never_answers(slot, settings)
    assert order.status == S.AWAITING_PAYMENT and order.payment_note == "Payment pending…"
    # when: the provider is back, the sweep sends it again (creating moves no money, and the same
    # idempotency key gives the same intent at Stripe): the payment goes through
    assert services.attempt_resolve(attempt_id=attempt.pk) == "now authorised"
    order.refresh_from_db()
    assert order.status == S.RECEIVED


def test_an_attempt_the_provider_never_answers_is_given_up_after_a_while(slot, settings):
    order, attempt = _sent_to_a_provider_that_never_answers(slot, settings)
    # when: two minutes pass without an answer
    PaymentAttempt.objects.filter(pk=attempt.pk).update(sent_at=timezone.now() - timedelta(minutes=5))
    # then: given up, and the customer may try again
    assert services.attempt_resolve(attempt_id=attempt.pk) == "given up"
    assert paid(order).status == A.AUTHORISED


def test_an_intent_for_another_amount_is_refused(slot):
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    PaymentAttempt.objects.filter(pk=attempt.pk).update(amount=attempt.amount + 100)  # what the shop asked for
    Order.objects.filter(pk=order.pk)
    intent = provider.create_intent(
        amount=attempt.amount, currency="EUR", card=card(), attempt_key=str(attempt.key), order_ref="x"
    )
    assert services.attempt_apply(intent=intent, attempt_id=attempt.pk) == "amount mismatch"
    attempt.refresh_from_db()
    assert attempt.status == A.DECLINED
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_PAYMENT


def test_a_page_that_says_3d_secure_passed_changes_nothing_until_the_provider_says_so(slot, settings):
    # given: a card that asks for 3-D Secure; the order waits
    order = held_order(slot)
    attempt = paid(order, "3ds")
    assert attempt.status == A.ACTION and order.status == S.AWAITING_PAYMENT
    # when: the page says it is done (the check after 3-D Secure) without passing the bank's check
    services.attempt_resolve(attempt_id=attempt.pk)
    # then: the shop believes the provider, not the page: still waiting, nothing authorised
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert attempt.status == A.ACTION and order.status == S.AWAITING_PAYMENT
    assert _intent(attempt)["status"] == "requires_action"

    # when: the customer passes the check at the provider, and the page asks again
    requests.post(
        f"{settings.STRIPE_API_BASE}/v1/payment_intents/{attempt.intent_id}/_authenticate?success=true",
        json={"key": settings.STRIPE_PUBLISHABLE_KEY, "client_secret": attempt.client_secret},
        timeout=10,
    ).raise_for_status()
    services.attempt_resolve(attempt_id=attempt.pk)
    # then: authorised, and the order is received
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert attempt.status == A.AUTHORISED and order.status == S.RECEIVED
