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
    with mock.patch.object(provider, "confirm_intent", side_effect=lost(provider.confirm_intent)):
        services.attempt_send(attempt_id=attempt.pk)
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == A.STARTED
    # then: the sweep's read-back finds it and the order is received
    services.attempt_resolve(attempt_id=attempt.pk)
    assert PaymentAttempt.objects.get(pk=attempt.pk).status == A.AUTHORISED
    assert Order.objects.get(pk=order.pk).status == S.RECEIVED


def _sent_while_confirming_raises(slot, error):
    """An attempt sent to the provider, whose confirm call raises ``error``; returns (order, attempt), fresh."""
    order = held_order(slot)
    attempt = services.attempt_start(order=order, card=card())
    with mock.patch.object(provider, "confirm_intent", side_effect=error):
        services.attempt_send(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    order.refresh_from_db()
    return order, attempt


@pytest.mark.parametrize("error", [stripe.APIError("boom", http_status=500), stripe.APIConnectionError("timeout")])
def test_a_provider_5xx_or_timeout_is_an_unknown_outcome_never_a_decline(slot, error):
    order, attempt = _sent_while_confirming_raises(slot, error)
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
    order, attempt = _sent_while_confirming_raises(slot, error)
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


# --- 5. a refund is "refunded" only when the provider says so -----------------------------------------
# localstripe refunds at once and sends no refund events: the pending and failing paths below use a
# provider double for the refund calls only (everything else is localstripe).


def _cancelled_after_capture(slot, settings):
    settings.ORDER_UNDO_SECONDS = 5
    order = held_order(slot)
    attempt = paid(order)
    _window_over(order)
    assert services.payment_capture(order_id=order.pk) == "now captured"
    order.refresh_from_db()
    order_services.order_cancel(order=order, version=order.version, by=Actor.CUSTOMER)
    return order, attempt


def _emails(order, kind):
    return Notification.objects.filter(order=order, kind=kind).count()


def test_a_pending_refund_is_not_told_as_refunded_until_the_provider_says_so(slot, settings):
    order, attempt = _cancelled_after_capture(slot, settings)
    pending = {"id": "re_pending1", "object": "refund", "status": "pending", "payment_intent": attempt.intent_id}
    with mock.patch.object(provider, "refund_intent", return_value=pending):
        assert services.payment_release(order_id=order.pk) == ["now refunding"]
    attempt.refresh_from_db()
    assert attempt.status == A.REFUNDING and attempt.refund_id == "re_pending1"
    assert _emails(order, Notification.Kind.REFUNDED) == 0
    # when: the provider later says it succeeded (the sweep, or a refund webhook, asks)
    with mock.patch.object(provider, "retrieve_refund", return_value={**pending, "status": "succeeded"}):
        assert services.attempt_refund(attempt_id=attempt.pk) == "now refunded"
    attempt.refresh_from_db()
    assert attempt.status == A.REFUNDED and _emails(order, Notification.Kind.REFUNDED) == 1


def test_a_failing_refund_reads_the_charge_back_and_becomes_a_refund_problem_after_its_tries(slot, settings):
    settings.PAYMENT_REFUND_TRIES = 2
    settings.SHOP_EMAIL = "kitchen@example.com"
    order, attempt = _cancelled_after_capture(slot, settings)
    charge_reads = []
    real_charge = provider.retrieve_charge

    def read_charge(charge_id):
        charge_reads.append(charge_id)
        return real_charge(charge_id)

    down = stripe.APIError("Internal server error", http_status=500)
    with (
        mock.patch.object(provider, "refund_intent", side_effect=down),
        mock.patch.object(provider, "retrieve_charge", side_effect=read_charge),
    ):
        assert services.payment_release(order_id=order.pk) == ["refund failed"]
        assert len(charge_reads) == 1  # read back before the next try
        assert services.payment_release(order_id=order.pk) == ["now refund_problem"]
    attempt.refresh_from_db()
    order.refresh_from_db()
    assert attempt.status == A.REFUND_PROBLEM and attempt.refund_failures == 2
    assert order.payment_note.startswith("Refund problem")
    problem = Notification.objects.get(order=order, kind=Notification.Kind.REFUND_PROBLEM)
    assert problem.recipient == "kitchen@example.com"
    assert _emails(order, Notification.Kind.REFUNDED) == 0
    # and the sweep stops trying
    assert services.payment_release(order_id=order.pk) == []


def test_a_refund_whose_answer_was_lost_is_found_on_the_charge_and_not_made_twice(slot, settings):
    order, attempt = _cancelled_after_capture(slot, settings)
    real = provider.refund_intent
    made = []

    def lost(*args, **kwargs):
        made.append(real(*args, **kwargs))  # the provider refunds ...
        raise stripe.APIConnectionError("read timed out")  # ... and the answer is lost

    with mock.patch.object(provider, "refund_intent", side_effect=lost):
        assert services.payment_release(order_id=order.pk) == ["now refunded"]
    assert len(made) == 1
    attempt.refresh_from_db()
    assert attempt.status == A.REFUNDED


def test_a_refund_event_is_applied_from_the_refund_the_provider_gives(
    client, slot, settings, jobs_run_here, django_capture_on_commit_callbacks
):
    order, attempt = _cancelled_after_capture(slot, settings)
    pending = {"id": "re_pending2", "object": "refund", "status": "pending", "payment_intent": attempt.intent_id}
    with mock.patch.object(provider, "refund_intent", return_value=pending):
        services.payment_release(order_id=order.pk)
    # when: a signed event says the refund failed, while the provider says it succeeded
    claim = {**pending, "status": "failed"}
    event = {"id": "evt_refund", "object": "event", "type": "refund.updated", "data": {"object": claim}}
    payload, signature = signed(event, "whsec_chefshop_local")
    with (
        mock.patch.object(provider, "retrieve_refund", return_value={**pending, "status": "succeeded"}),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            "/payments/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
        )
    # then: the provider's word wins
    assert response.status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == A.REFUNDED
    assert ProviderEvent.objects.get(event_id="evt_refund").outcome == "now refunded"


def test_the_owner_finds_orders_with_a_refund_problem_in_admin(slot, settings, staff):
    from django.test import Client

    settings.PAYMENT_REFUND_TRIES = 1
    order, _attempt = _cancelled_after_capture(slot, settings)
    other = held_order(slot)
    with mock.patch.object(provider, "refund_intent", side_effect=stripe.APIError("down", http_status=503)):
        services.payment_release(order_id=order.pk)
    browser = Client()
    browser.force_login(staff)
    page = browser.get("/admin/orders/order/?payment_trouble=refund").content.decode()
    assert str(order.public_id)[:8] in page and str(other.public_id)[:8] not in page
