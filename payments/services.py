"""Card payments: one attempt per try, each a PaymentIntent with manual capture at the provider.

Every outcome goes through ``apply_intent``, whichever way it arrives (the provider's answer to our own
call, a webhook, the sweep reading the intent back): it moves an attempt only forward, so the same news
applied twice, or in any order, changes nothing the second time. Calls to the provider are made by the
worker (``payments/tasks.py``), never inside a customer's request, and never while holding a transaction
open except for capture, cancel and refund, which hold the attempt's row so that two workers can never
make the same call twice.
"""

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from chefshop.money import to_minor
from chefshop.templatetags.shop import money
from orders import selectors as order_selectors
from orders import services as order_services
from orders.models import Notification, Order
from payments import provider
from payments.errors import BadCard, BadEvent, NotPayable, PaymentInProgress
from payments.models import PaymentAttempt, ProviderEvent
from payments.signals import attempt_checked, attempt_started, release_wanted

logger = logging.getLogger(__name__)
A = PaymentAttempt.Status
CARD_ID = re.compile(r"^(card|pm|tok|src)_[A-Za-z0-9]{1,200}$")
# How an attempt may move: never backwards, so a late or repeated message cannot undo a newer state.
FORWARD: dict[str, set[str]] = {
    A.STARTED: {A.ACTION, A.AUTHORISED, A.DECLINED, A.CANCELED, A.CAPTURED},
    A.ACTION: {A.AUTHORISED, A.DECLINED, A.CANCELED},
    A.AUTHORISED: {A.CAPTURED, A.CANCELED},
    A.CAPTURED: {A.REFUNDED},
}
INTENT_STATUS: dict[str, str] = {
    "requires_action": A.ACTION,
    "requires_capture": A.AUTHORISED,
    "requires_payment_method": A.DECLINED,
    "canceled": A.CANCELED,
    "succeeded": A.CAPTURED,
}
# What an attempt's new state tells its order: the note the customer and the kitchen see, a line on the
# order's timeline ("" for none) and an email, once per kind ("" for none). "Authorised" moves the order
# itself (``_move``).
TELLS_ORDER: dict[str, tuple[str, str, str]] = {
    A.ACTION: ("Waiting for 3-D Secure", "", ""),
    A.DECLINED: ("Declined: {message}", "Card declined: {message}", Notification.Kind.PAYMENT_FAILED),
    A.CAPTURED: ("Paid {amount} by card", "Payment of {amount} captured", ""),
    A.CANCELED: ("Card payment cancelled; nothing was charged", "Card payment cancelled; nothing was charged", ""),
    A.REFUNDED: ("Refunded {amount}", "Refunded {amount} in full", Notification.Kind.REFUNDED),
}
PENDING_RESOLVE_AFTER = timedelta(seconds=5)  # the sweep reads back attempts with no answer after this
# ... and gives up on one the provider never made, after this or once its order stopped waiting for it.
# (Should the provider still make it later, that authorisation is never captured and lapses by itself.)
PENDING_GIVE_UP_AFTER = timedelta(minutes=2)


# --- starting an attempt (the customer's request) ----------------------------------------------------


def attempt_start(*, order: Order, card: str) -> PaymentAttempt:
    """Record a new attempt to pay ``order`` with a tokenised card; the worker sends it to the provider.

    Refused if the order no longer waits for payment (``NotPayable``) or an attempt is already under way
    (``PaymentInProgress``: a double click, a second tab)."""
    if not CARD_ID.match(card or ""):
        raise BadCard()
    with transaction.atomic():
        locked = Order.objects.select_for_update().filter(pk=order.pk).first()
        now = timezone.now()
        if (
            locked is None
            or locked.status != Order.Status.AWAITING_PAYMENT
            or locked.hold_until is None
            or locked.hold_until <= now
        ):
            raise NotPayable()
        try:
            with transaction.atomic():
                attempt = PaymentAttempt.objects.create(
                    order=locked,
                    card=card,
                    amount=to_minor(locked.total, settings.CURRENCY),
                    currency=settings.CURRENCY,
                )
        except IntegrityError:
            raise PaymentInProgress() from None
        order_services.order_payment_update(
            order_id=locked.pk, payment_note="Payment pending…", timeline="Card payment started"
        )
        attempt_started.send(sender=PaymentAttempt, attempt_id=attempt.pk)
    return attempt


def attempt_send(*, attempt_id: int) -> str:
    """Create and confirm the attempt's intent at the provider (worker). Sent at most once: a second run
    finds it sent, and an attempt whose answer was lost is read back by the sweep."""
    claimed = PaymentAttempt.objects.filter(pk=attempt_id, status=A.STARTED, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return "already sent"
    attempt = PaymentAttempt.objects.select_related("order").get(pk=attempt_id)
    try:
        intent = provider.create_intent(
            amount=attempt.amount,
            currency=attempt.currency,
            card=attempt.card,
            attempt_key=str(attempt.key),
            order_ref=str(attempt.order.public_id),
        )
    except provider.CardError as exc:
        return _declined(attempt_id, exc.user_message or "Your card was declined.")
    except provider.UNREACHABLE:
        logger.warning("payments: no answer for attempt %s; the sweep reads it back", attempt_id)
        return "pending"
    except provider.StripeError as exc:
        return _declined(attempt_id, f"The card could not be used ({exc.user_message or exc.__class__.__name__}).")
    return apply_intent(intent=intent, attempt_id=attempt_id)


# --- applying what the provider says ---------------------------------------------------------------


def _lock(*, attempt_id: int | None = None, intent: dict[str, Any] | None = None) -> PaymentAttempt | None:
    rows = PaymentAttempt.objects.select_for_update()
    if attempt_id is not None:
        return rows.filter(pk=attempt_id).first()
    assert intent is not None
    found = rows.filter(intent_id=intent.get("id")).first()
    key = (intent.get("metadata") or {}).get("attempt")
    if found is None and key:
        found = rows.filter(key=key).first()
    return found


@transaction.atomic
def apply_intent(*, intent: dict[str, Any], attempt_id: int | None = None) -> str:
    """Bring the attempt (and its order) to what the intent says, if that is a step forward."""
    attempt = _lock(attempt_id=attempt_id, intent=intent)
    if attempt is None:
        return "unknown intent"
    if not attempt.intent_id and intent.get("id"):
        attempt.intent_id = intent["id"]
        attempt.save(update_fields=["intent_id", "updated_at"])
    if intent.get("amount") != attempt.amount or str(intent.get("currency", "")).upper() != attempt.currency:
        logger.error(
            "payments: intent %s is for %s %s, not %s",
            intent.get("id"),
            intent.get("amount"),
            intent.get("currency"),
            attempt.amount,
        )
        if attempt.status in (A.STARTED, A.ACTION):
            _move(attempt, A.DECLINED, "The amount did not match the order; nothing was charged.")
            transaction.on_commit(lambda: _release_later(attempt.order_id), robust=True)
        return "amount mismatch"
    new = INTENT_STATUS.get(str(intent.get("status")))
    if new is None or new not in FORWARD.get(attempt.status, set()):
        return "no change"
    error = intent.get("last_payment_error") or {}
    message = str(error.get("message") or "Your card was declined.") if new == A.DECLINED else ""
    if new == A.ACTION:
        attempt.client_secret = str(intent.get("client_secret") or "")
    _move(attempt, new, message)
    return f"now {new}"


def _move(attempt: PaymentAttempt, new: str, message: str = "") -> None:
    """Record the attempt's new state and do what it means for the order (inside the caller's transaction)."""
    attempt.status = new
    attempt.message = message[:300]
    attempt.save(update_fields=["status", "message", "client_secret", "updated_at"])
    order_id = attempt.order_id
    amount = money(attempt.order.total)
    if new == A.AUTHORISED:
        if not order_services.order_authorise(order_id=order_id, payment_note=f"{amount} authorised by card"):
            # The hold ran out or the order was cancelled meanwhile: the authorisation is cancelled.
            transaction.on_commit(lambda: _release_later(order_id), robust=True)
        return
    note, timeline, email = TELLS_ORDER[new]
    note, timeline = (text.format(amount=amount, message=message) for text in (note, timeline))
    order_services.order_payment_update(order_id=order_id, payment_note=note, timeline=timeline, email=email)
    if new == A.CAPTURED:
        order_services.order_confirm_paid(order_id=order_id, payment_note=note)


def _declined(attempt_id: int, message: str) -> str:
    with transaction.atomic():
        attempt = _lock(attempt_id=attempt_id)
        if attempt is None or A.DECLINED not in FORWARD.get(attempt.status, set()):
            return "no change"
        _move(attempt, A.DECLINED, message)
    return "declined"


def _release_later(order_id: int) -> None:
    release_wanted.send(sender=PaymentAttempt, order_id=order_id)


# --- capture, cancel, refund (the worker) ----------------------------------------------------------


def _settle_call(attempt: PaymentAttempt, call: Any) -> dict[str, Any] | None:
    """Make one provider call for a locked attempt; on an error, read the intent back (the call may have
    gone through before the error, e.g. a capture whose answer was lost)."""
    try:
        return dict(call())
    except (provider.StripeError, *provider.UNREACHABLE) as exc:
        logger.warning("payments: %s for attempt %s failed: %s", getattr(call, "__name__", "call"), attempt.pk, exc)
        if not attempt.intent_id:
            return None
        try:
            return provider.retrieve_intent(attempt.intent_id)
        except (provider.StripeError, *provider.UNREACHABLE):
            return None


CAPTURE_REQUEUE_AFTER = timedelta(seconds=15)


def capture_wanted(*, order_id: int) -> bool:
    """Whether to queue a capture job now: not again while one queued in the last 15 s may still be
    waiting for the worker (the undo-window sweep asks on every run)."""
    now = timezone.now()
    due = Q(capture_queued_at__isnull=True) | Q(capture_queued_at__lt=now - CAPTURE_REQUEUE_AFTER)
    rows = PaymentAttempt.objects.filter(order_id=order_id, status__in=[A.AUTHORISED, A.CAPTURED]).filter(due)
    return rows.update(capture_queued_at=now) > 0


def capture(*, order_id: int) -> str:
    """The undo window ended: capture the authorised payment once, then the order is confirmed. A capture
    that fails is tried again by the sweep; after ``PAYMENT_CAPTURE_TRIES`` the order is confirmed with
    "payment problem" for the owner to decide (cook and collect on delivery, or cancel)."""
    with transaction.atomic():
        attempt = (
            PaymentAttempt.objects.select_for_update()
            .select_related("order")
            .filter(order_id=order_id, status__in=[A.AUTHORISED, A.CAPTURED])
            .first()
        )
        if attempt is None:
            return "nothing to capture"
        if attempt.status == A.CAPTURED:  # captured, but the order was not confirmed (e.g. a crash)
            order_services.order_confirm_paid(order_id=order_id, payment_note=attempt.order.payment_note)
            return "already captured"
        intent_id, key = attempt.intent_id or "", str(attempt.key)
        intent = _settle_call(attempt, lambda: provider.capture_intent(intent_id, key))
        if intent is not None and intent.get("status") == "succeeded":
            return apply_intent(intent=intent, attempt_id=attempt.pk)
        failures = attempt.capture_failures + 1
        PaymentAttempt.objects.filter(pk=attempt.pk).update(capture_failures=F("capture_failures") + 1)
    if failures >= settings.PAYMENT_CAPTURE_TRIES:
        order_services.order_confirm_paid(
            order_id=order_id, payment_note="Payment problem: capture failed — collect on delivery or cancel"
        )
        return "payment problem"
    order_services.order_payment_update(
        order_id=order_id, payment_note="Authorised; capture pending", timeline=f"Capture failed (try {failures})"
    )
    return "capture failed"


def release(*, order_id: int) -> list[str]:
    """The order will not be paid for (cancelled, undone, hold ran out): cancel every live attempt's
    authorisation, and refund a captured one in full, once."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status not in (Order.Status.CANCELLED, Order.Status.PAYMENT_EXPIRED):
        return []
    done = []
    for attempt_id in PaymentAttempt.objects.filter(order_id=order_id, status__in=PaymentAttempt.LIVE).values_list(
        "pk", flat=True
    ):
        done.append(_release_attempt(attempt_id))
    return done


def refund(*, attempt_id: int) -> str:
    """Refund a captured attempt in full (a cancelled order; the owner, for a failed delivery)."""
    with transaction.atomic():
        attempt = _lock(attempt_id=attempt_id)
        if attempt is None or attempt.status != A.CAPTURED:
            return "not captured"
        return _refund_locked(attempt)


def _refund_locked(attempt: PaymentAttempt) -> str:
    intent_id, key = attempt.intent_id or "", str(attempt.key)
    try:
        refund_made = provider.refund_intent(intent_id, key)
    except (provider.StripeError, *provider.UNREACHABLE) as exc:
        logger.warning("payments: refund of attempt %s failed: %s", attempt.pk, exc)
        return "refund failed"
    attempt.refund_id = refund_made.get("id")
    attempt.save(update_fields=["refund_id", "updated_at"])
    _move(attempt, A.REFUNDED)
    return "refunded"


def _release_attempt(attempt_id: int) -> str:
    with transaction.atomic():
        attempt = _lock(attempt_id=attempt_id)
        if attempt is None or attempt.status not in PaymentAttempt.LIVE:
            return "settled"
        if attempt.status == A.CAPTURED:
            return _refund_locked(attempt)
        if not attempt.intent_id:
            if attempt.sent_at is None:  # never sent: nothing exists at the provider
                _move(attempt, A.CANCELED)
                return "cancelled unsent"
            return "pending"  # sent without an answer: the sweep finds it, then it is released
        intent_id = attempt.intent_id
        intent = _settle_call(attempt, lambda: provider.cancel_intent(intent_id))
        if intent is None:
            return "cancel failed"
    return apply_intent(intent=intent, attempt_id=attempt_id)


# --- the webhook inbox -----------------------------------------------------------------------------

HANDLED = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.amount_capturable_updated",
    "payment_intent.requires_action",
}


def webhook_receive(*, payload: bytes, signature: str) -> str:
    """Store a provider event once and apply it in the same transaction. Any order, any number of times:
    the second copy of an event finds it stored; an older state than the attempt's changes nothing."""
    try:
        event = provider.parse_event(payload, signature)
    except (ValueError, provider.SignatureError):
        raise BadEvent() from None
    event_id, kind = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id:
        raise BadEvent()
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = ProviderEvent.objects.create(event_id=event_id, type=kind[:100], payload=event)
        except IntegrityError:
            return "duplicate"
        outcome = "ignored"
        if kind in HANDLED:
            outcome = apply_intent(intent=dict((event.get("data") or {}).get("object") or {}))
        stored.outcome = outcome
        stored.save(update_fields=["outcome"])
    return outcome


def check_soon(*, attempt_id: int) -> None:
    """The page finished 3-D Secure: have the worker read the attempt back now (the sweep would, later)."""
    attempt_checked.send(sender=PaymentAttempt, attempt_id=attempt_id)


# --- the sweep ---------------------------------------------------------------------------------------


def resolve(*, attempt_id: int, recent: dict[str, dict[str, Any]] | None = None) -> str:
    """Read back an attempt the provider has not answered for (sent, no answer; or 3-D Secure).
    ``recent``: the provider's recent intents by attempt key, when the caller listed them already."""
    attempt = PaymentAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None or attempt.status not in (A.STARTED, A.ACTION):
        return "settled"
    if attempt.sent_at is None:
        return attempt_send(attempt_id=attempt_id)
    try:
        if attempt.intent_id:
            intent: dict[str, Any] | None = provider.retrieve_intent(attempt.intent_id)
        elif recent is not None:
            intent = recent.get(str(attempt.key))
        else:
            intent = provider.find_intent(str(attempt.key))
    except (provider.StripeError, *provider.UNREACHABLE):
        return "provider unreachable"
    if intent is not None:
        return apply_intent(intent=intent, attempt_id=attempt_id)
    order_gone = not Order.objects.filter(pk=attempt.order_id, status=Order.Status.AWAITING_PAYMENT).exists()
    if order_gone or timezone.now() - attempt.sent_at > PENDING_GIVE_UP_AFTER:
        with transaction.atomic():
            locked = _lock(attempt_id=attempt_id)
            if locked is not None and locked.status == A.STARTED:
                _move(locked, A.CANCELED, "The card processor did not answer; nothing was charged.")
        return "given up"
    return "still pending"


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """What timers and webhooks may have missed: holds that ran out, attempts without an answer, orders
    that ended with a live attempt. Also tells a local stand-in provider our webhook again."""
    now = now or timezone.now()
    counts = {"expired": 0, "resolved": 0, "released": 0}
    for order_id in order_selectors.holds_due(now=now):
        counts["expired"] += order_services.order_expire_if_due(order_id=order_id, now=now)
    waiting = PaymentAttempt.objects.filter(
        status__in=[A.STARTED, A.ACTION], created_at__lte=now - PENDING_RESOLVE_AFTER
    )
    waiting_ids = list(waiting.values_list("pk", flat=True)[:100])
    recent = None
    if waiting.filter(intent_id__isnull=True, sent_at__isnull=False).exists():
        try:  # one listing for every attempt without an answer, not one each
            recent = provider.recent_intents()
        except (provider.StripeError, *provider.UNREACHABLE):
            waiting_ids = []  # the provider is away: next sweep
    for attempt_id in waiting_ids:
        counts["resolved"] += resolve(attempt_id=attempt_id, recent=recent) not in (
            "still pending",
            "provider unreachable",
        )
    ended = PaymentAttempt.objects.filter(
        status__in=PaymentAttempt.LIVE, order__status__in=[Order.Status.CANCELLED, Order.Status.PAYMENT_EXPIRED]
    )
    for order_id in sorted(set(ended.values_list("order_id", flat=True)[:100])):
        counts["released"] += len(release(order_id=order_id))
    if settings.STRIPE_REGISTER_WEBHOOK:
        try:
            provider.register_webhook(settings.STRIPE_REGISTER_WEBHOOK)
        except Exception:  # noqa: BLE001 - the provider is down: next sweep
            logger.warning("payments: could not register the webhook with %s", settings.STRIPE_API_BASE)
    return counts
