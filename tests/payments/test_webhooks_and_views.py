"""The webhook inbox and the payment pages: signatures, duplicates in any order, someone else's order."""

import threading
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from orders.models import Notification, Order
from orders.shopper import SESSION_KEY
from payments import provider, services
from payments.models import PaymentAttempt, ProviderEvent
from tests.factories import CartLineFactory
from tests.payments.conftest import authorised_intent, card, held_order, signed

S, A = Order.Status, PaymentAttempt.Status


def _event(event_id: str, kind: str, intent: dict) -> dict:
    return {"id": event_id, "object": "event", "type": kind, "created": 1, "data": {"object": intent}}


def _post(client, event, secret):
    """Post a signed event; the job that applies it runs here (``jobs_run_here``) once the request commits."""
    from django.test import TestCase

    payload, signature = signed(event, secret)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            "/payments/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
        )


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_changes_nothing(client, payments_on, slot):
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    intent = authorised_intent(attempt)
    forged = _event("evt_forged", "payment_intent.amount_capturable_updated", intent)
    assert _post(client, forged, "whsec_not_ours").status_code == 400
    assert client.post("/payments/webhook/", data=b"{}", content_type="application/json").status_code == 400
    assert not ProviderEvent.objects.exists()
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_PAYMENT
    # a well-signed event of a kind the shop does not handle: 200, stored, ignored
    other = _event("evt_other", "customer.created", {"id": "cus_1"})
    response = _post(client, other, payments_on.STRIPE_WEBHOOK_SECRET)
    assert response.status_code == 200 and ProviderEvent.objects.get().outcome == "ignored"


@pytest.mark.django_db(transaction=True)
def test_the_same_event_five_times_at_once_is_one_transition_and_one_email(payments_on, slot, jobs_run_here):
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    intent = authorised_intent(attempt)
    event = _event("evt_same", "payment_intent.amount_capturable_updated", intent)
    codes = []

    def post():
        from django.db import connection

        try:
            codes.append(_post(Client(), event, payments_on.STRIPE_WEBHOOK_SECRET).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert codes == [200] * 5
    order.refresh_from_db()
    assert order.status in (S.RECEIVED, S.CONFIRMED)  # no undo window here: captured at once
    assert order.events.filter(to_status=S.RECEIVED, from_status=S.AWAITING_PAYMENT).count() == 1
    assert Notification.objects.filter(order=order, kind=Notification.Kind.RECEIVED).count() == 1
    assert ProviderEvent.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("webhook_first", [True, False])
def test_confirm_response_and_webhook_in_either_order_make_one_order_move_and_one_capture(
    client, payments_on, slot, webhook_first, jobs_run_here
):
    payments_on.ORDER_UNDO_SECONDS = 5
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    intent = authorised_intent(attempt)
    event = _event("evt_auth", "payment_intent.amount_capturable_updated", intent)
    if webhook_first:
        assert _post(client, event, payments_on.STRIPE_WEBHOOK_SECRET).status_code == 200
        assert services.attempt_apply(intent=intent, attempt_id=attempt.pk) == "no change"
    else:
        assert services.attempt_apply(intent=intent, attempt_id=attempt.pk) == "now authorised"
        assert _post(client, event, payments_on.STRIPE_WEBHOOK_SECRET).status_code == 200
    Order.objects.filter(pk=order.pk).update(undo_until=timezone.now())  # the window ends
    assert services.payment_capture(order_id=order.pk) == "now captured"
    captured = provider.retrieve_intent(intent["id"])
    succeeded = _event("evt_paid", "payment_intent.succeeded", captured)
    assert _post(client, succeeded, payments_on.STRIPE_WEBHOOK_SECRET).content == b"stored"
    assert ProviderEvent.objects.get(event_id="evt_paid").outcome == "no change"
    assert services.payment_capture(order_id=order.pk) == "already captured"
    order.refresh_from_db()
    assert order.status == S.CONFIRMED
    assert order.events.filter(from_status=S.AWAITING_PAYMENT, to_status=S.RECEIVED).count() == 1
    assert order.events.filter(to_status=S.CONFIRMED).count() == 1
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == A.CAPTURED


def _browser_of(order) -> Client:
    client = Client()
    session = client.session
    session[SESSION_KEY] = str(order.owner_token)
    session.save()
    client.cookies["sessionid"] = session.session_key
    return client


@pytest.mark.django_db
def test_the_order_page_shows_the_card_form_and_someone_elses_order_is_not_found(payments_on, slot):
    order = held_order(slot, cart=CartLineFactory().cart)
    mine = _browser_of(order)
    page = mine.get(order.get_absolute_url()).content.decode()
    assert 'id="payment-panel"' in page and "held for you" in page
    panel = mine.get(f"/payments/orders/{order.public_id}/").content.decode()
    assert "data-card-form" in panel and "js.stripe.com/v3/" in panel
    stranger = Client()
    assert stranger.get(f"/payments/orders/{order.public_id}/").status_code == 404
    assert stranger.post(f"/payments/orders/{order.public_id}/pay/", {"card": card()}).status_code == 404
    assert not PaymentAttempt.objects.exists()
    # bad input: no card, or not a card id → a message, nothing written
    response = mine.post(f"/payments/orders/{order.public_id}/pay/", {"card": "4242 4242 4242 4242"})
    assert response.status_code == 302 and not PaymentAttempt.objects.exists()
    assert "Please enter your card details." in mine.get(order.get_absolute_url()).content.decode()
    # a good one starts an attempt; the panel then says "pending" and the order page says so too
    assert mine.post(f"/payments/orders/{order.public_id}/pay/", {"card": card()}).status_code == 302
    assert "Payment pending" in mine.get(f"/payments/orders/{order.public_id}/").content.decode()
    assert "Payment pending" in mine.get(order.get_absolute_url()).content.decode()
    # a double click: a clear message, still one attempt
    mine.post(f"/payments/orders/{order.public_id}/pay/", {"card": card()})
    assert "already under way" in mine.get(order.get_absolute_url()).content.decode()
    assert PaymentAttempt.objects.count() == 1


@pytest.mark.django_db
def test_payments_off_keeps_pay_on_delivery(slot):
    from tests.conftest import place_order

    order = place_order(slot)
    assert order.status in (S.RECEIVED, S.CONFIRMED) and not order.pays_by_card
    assert _browser_of(order).get(f"/payments/orders/{order.public_id}/").status_code == 404


@pytest.mark.django_db
def test_an_expired_order_can_be_ordered_again_into_the_cart(payments_on, slot):
    from datetime import timedelta

    from orders import services as order_services
    from orders.models import CartLine

    order = held_order(slot, cart=CartLineFactory(quantity=2).cart)
    order_services.orders_expire_overdue_holds(now=order.hold_until + timedelta(seconds=1))
    mine = _browser_of(order)
    page = mine.get(order.get_absolute_url()).content.decode()
    assert "Payment expired" in page and "Order again" in page
    assert mine.post(f"/orders/{order.public_id}/again/").status_code == 302
    line = CartLine.objects.get(cart__token=order.owner_token)
    assert line.quantity == 2 and line.price_seen == line.item.price
    assert Client().post(f"/orders/{order.public_id}/again/").status_code == 404  # someone else's


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_after_commit_never_turns_a_placed_order_into_an_error(client, payments_on, slot):
    from kombu.exceptions import OperationalError

    from orders import tasks as order_tasks
    from payments import tasks

    dish = CartLineFactory().item
    client.post("/cart/add/", {"item": dish.pk})
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    form = {
        "name": "Ada",
        "email": "ada@example.com",
        "phone": "0123 456789",
        "address": "1 High Street",
        "slot": slot.pk,
        "idempotency_key": "8d2c4c0e-6f0e-4f43-9a4b-0b8f6c1f2a11",
    }
    with mock.patch.object(order_tasks.order_hold_timer, "apply_async", side_effect=down):
        response = client.post("/checkout/", form)
    assert response.status_code == 302  # the order exists: the hold's timer is left to the sweep
    order = Order.objects.get()
    assert order.status == S.AWAITING_PAYMENT
    with mock.patch.object(tasks.attempt_send_job, "apply_async", side_effect=down):
        response = client.post(f"/payments/orders/{order.public_id}/pay/", {"card": card()})
    assert response.status_code == 302 and PaymentAttempt.objects.get().status == A.STARTED
