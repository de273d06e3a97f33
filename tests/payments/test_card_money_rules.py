"""The rules that keep real card money safe, each named after the way it was once broken:
no capture after an undo, no authorisation left on a card, a lost answer found by id, refunds checked,
webhooks taken as news, an intent cancelled at the provider, jobs kept inside the broker's timeout."""

from datetime import timedelta
from unittest import mock

import pytest
import stripe
from django.utils import timezone

from chefshop.errors import IllegalTransition
from chefshop.statemachine import Actor
from orders import services as order_services
from orders.models import Notification, Order
from payments import provider, services
from payments.models import PaymentAttempt, ProviderEvent
from slots.models import DeliverySlot
from tests.payments.conftest import authorised_intent, card, held_order, paid, signed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("payments_on")]
S, A = Order.Status, PaymentAttempt.Status


def _status_at_provider(intent_id: str) -> str:
    return str(provider.retrieve_intent(intent_id)["status"])


def _window_over(order: Order) -> None:
    """Move the order's undo window into the past, as if its 20 s had gone by."""
    past = timezone.now() - timedelta(seconds=1)
    Order.objects.filter(pk=order.pk).update(undo_until=past)
    order.refresh_from_db()


# --- 1. a card is never captured for an order the customer undid ------------------------------------


def test_undo_is_refused_once_the_stored_undo_deadline_has_passed(slot, settings):
    # given: a paid order whose undo window is over; its capture is queued but has not run
    settings.ORDER_UNDO_SECONDS = 5
    order = held_order(slot)
    attempt = paid(order)
    assert order.status == S.RECEIVED and order.undo_until > timezone.now()
    _window_over(order)
    # when: the customer presses Undo (an old page)
    with pytest.raises(IllegalTransition):
        order_services.order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)
    # then: the capture goes through and the order is confirmed
    assert services.payment_capture(order_id=order.pk) == "now captured"
    order.refresh_from_db()
    assert order.status == S.CONFIRMED and _status_at_provider(attempt.intent_id) == "succeeded"


def test_capture_never_captures_an_order_that_is_no_longer_received(slot, settings):
    # given: a paid order in its window; its capture job is queued ...
    settings.ORDER_UNDO_SECONDS = 5
    order = held_order(slot)
    attempt = paid(order)
    # ... and the owner cancels it before the job runs (the release job has not run either)
    order_services.order_transition(order=order, step="shop_cancel", version=order.version, by=Actor.OWNER)
    # when: the queued capture runs
    services.payment_capture(order_id=order.pk)
    # then: nothing was taken from the card
    assert _status_at_provider(attempt.intent_id) == "requires_capture"
    attempt.refresh_from_db()
    assert attempt.status == A.AUTHORISED


def test_the_order_page_says_being_confirmed_with_no_button_between_the_deadline_and_confirmed(slot, settings):
    from orders.live import render_order_status

    settings.ORDER_UNDO_SECONDS = 5
    order = held_order(slot)
    paid(order)
    assert "Undo order" in render_order_status(order)
    _window_over(order)
    html = render_order_status(order)
    assert "being confirmed" in html.lower() and "Undo order" not in html and "Cancel order" not in html


# --- 2. a late authorisation is released --------------------------------------------------------------


def test_a_late_authorisation_for_an_attempt_the_shop_ended_is_cancelled_at_the_provider(
    slot, jobs_run_here, django_capture_on_commit_callbacks
):
    # given: the create call was slow; meanwhile the shop gave up on the attempt (declined locally)
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    PaymentAttempt.objects.filter(pk=attempt.pk).update(status=A.DECLINED, sent_at=timezone.now())
    intent = authorised_intent(attempt)
    assert intent["status"] == "requires_capture"
    # when: the slow answer (or a webhook, or the read-back) arrives
    with django_capture_on_commit_callbacks(execute=True):
        assert services.attempt_apply(intent=intent, attempt_id=attempt.pk) == "release asked"
    # then: the hold is taken off the card by its own job; the order still waits for a payment
    assert _status_at_provider(intent["id"]) == "canceled"
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_PAYMENT


# --- 3. a lost answer is found by id; the provider's errors are told apart ----------------------------


def test_a_lost_answer_is_read_back_by_id_however_many_intents_the_provider_holds(slot):
    # given: the provider holds more than a page of older intents
    for _ in range(101):
        provider.client().v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())

    def lost(real):
        def call(*args, **kwargs):
            real(*args, **kwargs)
            raise stripe.APIConnectionError("read timed out")

        return call

    # when: the provider authorises the card, but its answer is lost on the way back
    name = "confirm_intent"
    with mock.patch.object(provider, name, side_effect=lost(getattr(provider, name))):
        services.attempt_send(attempt_id=attempt.pk)
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == A.STARTED
    # then: the sweep's read-back finds it and the order is received
    services.attempt_resolve(attempt_id=attempt.pk)
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == A.AUTHORISED
    assert Order.objects.get(pk=order.pk).status == S.RECEIVED


@pytest.mark.parametrize("error", [stripe.APIError("boom", http_status=500), stripe.APIConnectionError("timeout")])
def test_a_provider_5xx_or_timeout_is_an_unknown_outcome_never_a_decline(slot, error):
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    name = "confirm_intent"
    with mock.patch.object(provider, name, side_effect=error):
        services.attempt_send(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == A.STARTED  # pending: the sweep reads it back
    assert not Notification.objects.filter(order=order, kind=Notification.Kind.PAYMENT_FAILED).exists()


@pytest.mark.parametrize(
    "error",
    [
        stripe.InvalidRequestError("No such payment_method", param="payment_method"),
        stripe.AuthenticationError("Invalid API Key provided"),
        stripe.RateLimitError("Too many requests"),
    ],
)
def test_a_request_the_provider_refuses_is_a_payment_problem_for_the_owner_not_a_declined_card(slot, error):
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    name = "confirm_intent"
    with mock.patch.object(provider, name, side_effect=error):
        services.attempt_send(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert attempt.status != A.DECLINED and attempt.status not in PaymentAttempt.LIVE
    assert "declined" not in order.payment_note.lower() and "problem" in order.payment_note.lower()
    assert not Notification.objects.filter(order=order, kind=Notification.Kind.PAYMENT_FAILED).exists()
    assert order.status == S.AWAITING_PAYMENT  # the customer may try again


# --- 6. a webhook is news, not truth ------------------------------------------------------------------


def test_a_signed_event_claiming_success_changes_nothing_the_provider_does_not_say(
    client, slot, jobs_run_here, django_capture_on_commit_callbacks
):
    # given: an attempt whose intent, at the provider, has no card yet
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    intent = provider.client().v1.payment_intents.create(
        params={"amount": attempt.amount, "currency": "eur", "metadata": {"attempt": str(attempt.key)}}
    )
    PaymentAttempt.objects.filter(pk=attempt.pk).update(intent_id=intent.id, sent_at=timezone.now())
    assert _status_at_provider(intent.id) == "requires_payment_method"
    # when: a correctly signed event claims it succeeded
    claim = {**intent.to_dict(), "status": "succeeded", "amount_received": attempt.amount}
    event = {"id": "evt_claim", "object": "event", "type": "payment_intent.succeeded", "data": {"object": claim}}
    payload, signature = signed(event, "whsec_chefshop_local")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/payments/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
        )
    # then: stored and answered, but the provider's word decides: nothing was paid
    assert response.status_code == 200
    assert ProviderEvent.objects.get(event_id="evt_claim").applied_at is not None
    attempt.refresh_from_db()
    assert attempt.status == A.STARTED
    assert Order.objects.get(pk=order.pk).status == S.AWAITING_PAYMENT


# --- 7. an intent cancelled at the provider ends its order --------------------------------------------


def test_an_intent_cancelled_at_the_provider_cancels_its_received_order_and_returns_its_place(slot, settings):
    # given: a paid order in its window
    settings.ORDER_UNDO_SECONDS = 5
    order = held_order(slot)
    attempt = paid(order)
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 1
    # when: the intent is cancelled from the provider's dashboard (localstripe sends no webhook for it),
    # then the window ends and the capture runs
    provider.cancel_intent(attempt.intent_id)
    _window_over(order)
    services.payment_capture(order_id=order.pk)
    # then: never captured; the order is cancelled, its place back, its customer told
    assert _status_at_provider(attempt.intent_id) == "canceled"
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0
    assert Notification.objects.filter(order=order, kind=Notification.Kind.CANCELLED).exists()


# --- 9. no job is queued further ahead than the broker's visibility timeout ---------------------------


@pytest.mark.django_db(transaction=True)
def test_no_job_is_queued_further_ahead_than_the_broker_redelivers_it(slot, settings, published_jobs):
    # given: a card order's hold is longer than the broker's visibility timeout
    settings.PAYMENT_HOLD_SECONDS = 600
    # when: an order is placed and paid (every job it queues is really published)
    order = held_order(slot)
    paid(order)
    # then: each job was published, and none asks to run later than the broker would redeliver it
    assert published_jobs, "the test saw no job published"
    assert not published_jobs.too_far, published_jobs.too_far
