"""Card payments: one attempt per try, each a PaymentIntent with manual capture at the provider.

Every answer about an intent goes through ``attempt_apply``, whichever way it arrives (the provider's answer
to our own call, a webhook fetched back from the provider, the sweep's read-back): it moves an attempt only
forward along ``payments/machine.py``, so the same news applied twice, or in any order, changes nothing the
second time. Calls to the provider are made by the worker (``payments/tasks.py``), never inside a customer's
request. Capture, cancel and refund hold the order's row and then the attempt's (``payments/locks.py``, the
lock order of DESIGN §2) while they call, so that two workers never make the same call twice and a capture
never races an undo.

The money rules, each kept here:

- An intent is created **unconfirmed** (nothing moves), its id stored, then confirmed by that id: a lost
  answer is read back by id, never searched for.
- A card is captured only for an order still ``received`` whose stored ``undo_until`` has passed, checked
  under the order's lock, and only after the provider confirms the intent is still ``requires_capture``.
- Any authorisation the provider holds for an attempt the shop has ended is cancelled by its own job.
- A webhook is news: it is stored and answered, and the worker applies what the provider says when asked.
- A refund is "refunded" only when the provider says so; a failing one is read back from the charge before
  another try, and after ``PAYMENT_REFUND_TRIES`` it is a "refund problem" for the owner.
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
from orders import services as order_services
from orders.locks import lock_order
from orders.models import Order
from payments import provider, selectors
from payments.errors import BadCard, BadEvent, NotPayable, PaymentInProgress
from payments.locks import lock_attempt, lock_live_attempt
from payments.machine import ENDED, HOLDING, INTENT_STATUS, TELLS_ORDER, Outcome, may_move
from payments.models import PaymentAttempt, ProviderEvent
from payments.signals import (
    attempt_checked,
    attempt_started,
    event_stored,
    intent_release_wanted,
    release_wanted,
)

logger = logging.getLogger(__name__)
A = PaymentAttempt.Status
CARD_ID = re.compile(r"^(card|pm|tok|src)_[A-Za-z0-9]{1,200}$")
ORDER_ENDED = (Order.Status.CANCELLED, Order.Status.PAYMENT_EXPIRED)
PENDING_RESOLVE_AFTER = timedelta(seconds=5)  # the sweep reads back attempts with no answer after this
# ... and gives up on one the provider never made, after this or once its order stopped waiting for it.
PENDING_GIVE_UP_AFTER = timedelta(minutes=2)
CAPTURE_REQUEUE_AFTER = timedelta(seconds=15)
REFUND_RETRY_AFTER = timedelta(seconds=60)  # a refund that failed, or is pending, is looked at again after this
EVENT_APPLY_AFTER = timedelta(seconds=10)  # the sweep applies events its job has not applied after this
DECLINED = "Your card was declined."


def _problem(exc: Exception) -> str:
    """What the owner sees of a request the provider refused (never shown as a declined card)."""
    code = getattr(exc, "code", None) or exc.__class__.__name__
    return f"the card processor refused the shop's request ({code}); nothing was charged"


# --- starting an attempt (the customer's request) ----------------------------------------------------


def attempt_start(*, order: Order, card: str) -> PaymentAttempt:
    """Record a new attempt to pay ``order`` with the card's payment method; the worker sends it.

    Refused if the order no longer waits for payment (``NotPayable``) or an attempt is already under way
    (``PaymentInProgress``: a double click, a second tab)."""
    if not CARD_ID.match(card or ""):
        raise BadCard()
    with transaction.atomic():
        locked = lock_order(order_id=order.pk)
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


def attempt_send(*, attempt_id: int) -> Outcome:
    """Send a new attempt to the provider (worker), once: a second run finds it sent, and an attempt whose
    answer was lost is read back by the sweep (``attempt_resolve``)."""
    claimed = PaymentAttempt.objects.filter(pk=attempt_id, status=A.STARTED, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return Outcome.ALREADY_SENT
    return _send(attempt_id)


def _send(attempt_id: int) -> Outcome:
    """Create the attempt's intent unconfirmed (unless it has one), store its id, then confirm it by id."""
    attempt = PaymentAttempt.objects.select_related("order").get(pk=attempt_id)
    intent_id = attempt.intent_id
    if not intent_id:
        try:
            created = provider.create_intent(
                amount=attempt.amount,
                currency=attempt.currency,
                card=attempt.card,
                attempt_key=str(attempt.key),
                order_ref=str(attempt.order.public_id),
            )
        except provider.CardError as exc:
            return _end(attempt_id, A.DECLINED, exc.user_message or DECLINED)
        except provider.UNREACHABLE as exc:
            logger.warning("payments: no answer to creating attempt %s (%s); the sweep tries again", attempt_id, exc)
            return Outcome.PENDING
        except provider.StripeError as exc:
            return _end(attempt_id, A.FAILED, _problem(exc))
        intent_id = str(created["id"])
        PaymentAttempt.objects.filter(pk=attempt_id, intent_id__isnull=True).update(
            intent_id=intent_id, updated_at=timezone.now()
        )
    if not Order.objects.filter(pk=attempt.order_id, status=Order.Status.AWAITING_PAYMENT).exists():
        # The hold ran out (or the order was cancelled) before the card was asked: never ask it.
        outcome = _end(attempt_id, A.CANCELED, "The order stopped waiting for its payment; nothing was charged.")
        _release_intent_later(intent_id)
        return outcome
    try:
        intent = provider.confirm_intent(intent_id, str(attempt.key))
    except provider.CardError as exc:
        return _end(attempt_id, A.DECLINED, exc.user_message or DECLINED)
    except provider.UNREACHABLE as exc:
        logger.warning("payments: no answer to confirming attempt %s (%s); read back by id", attempt_id, exc)
        return Outcome.PENDING
    except provider.StripeError as exc:
        # Refused: perhaps because an earlier confirm, whose answer was lost, went through. Ask.
        try:
            intent = provider.retrieve_intent(intent_id)
        except (provider.StripeError, *provider.UNREACHABLE):
            return Outcome.PENDING
        if intent.get("status") == "requires_confirmation":
            outcome = _end(attempt_id, A.FAILED, _problem(exc))
            _release_intent_later(intent_id)
            return outcome
    return attempt_apply(intent=intent, attempt_id=attempt_id)


def _end(attempt_id: int, status: str, message: str) -> Outcome:
    """Move a pending attempt to an end the shop decided (declined, refused, given up)."""
    with transaction.atomic():
        order, attempt = lock_attempt(attempt_id=attempt_id)
        if order is None or attempt is None or not may_move(attempt.status, status):
            return Outcome.NO_CHANGE
        if status == A.FAILED:
            logger.error("payments: attempt %s for order %s: %s", attempt_id, order.public_id, message)
        _move(order, attempt, status, message)
    return Outcome.now(status)


def _release_intent_later(intent_id: str | None) -> None:
    if intent_id:
        intent_release_wanted.send(sender=PaymentAttempt, intent_id=intent_id)


# --- applying what the provider says ---------------------------------------------------------------


@transaction.atomic
def attempt_apply(*, intent: dict[str, Any], attempt_id: int | None = None) -> Outcome:
    """Bring the attempt (and its order) to what the intent says, if that is a step forward. An
    authorisation the provider holds for an attempt the shop has ended is released by its own job."""
    intent_id = str(intent.get("id") or "") or None
    if attempt_id is None:
        key = (intent.get("metadata") or {}).get("attempt")
        attempt_id = selectors.attempt_id_for_intent(intent_id=intent_id, key=key)
        if attempt_id is None:
            return Outcome.UNKNOWN_INTENT
    order, attempt = lock_attempt(attempt_id=attempt_id)
    if order is None or attempt is None:
        return Outcome.UNKNOWN_INTENT
    if not attempt.intent_id and intent_id:
        attempt.intent_id = intent_id
        attempt.save(update_fields=["intent_id", "updated_at"])
    status = str(intent.get("status") or "")
    if intent.get("amount") != attempt.amount or str(intent.get("currency", "")).upper() != attempt.currency:
        logger.error(
            "payments: intent %s is for %s %s, not %s",
            intent_id,
            intent.get("amount"),
            intent.get("currency"),
            attempt.amount,
        )
        if may_move(attempt.status, A.DECLINED):
            _move(order, attempt, A.DECLINED, "The amount did not match the order; nothing was charged.")
        if status in HOLDING:
            _release_intent_later(intent_id)
        return Outcome.AMOUNT_MISMATCH
    new = INTENT_STATUS.get(status, "")
    error = intent.get("last_payment_error") or {}
    if status == "requires_payment_method" and error:  # a confirm that failed (Stripe's declined state)
        new = A.DECLINED
    if not new or not may_move(attempt.status, new):
        if status in HOLDING and attempt.status in ENDED:
            # A late answer: the shop has ended this attempt, the provider still holds the card.
            _release_intent_later(intent_id)
            return Outcome.RELEASE_ASKED
        return Outcome.NO_CHANGE
    message = str(error.get("message") or DECLINED) if new == A.DECLINED else ""
    if new == A.ACTION:
        attempt.client_secret = str(intent.get("client_secret") or "")
    _move(order, attempt, new, message)
    return Outcome.now(new)


def _move(order: Order, attempt: PaymentAttempt, new: str, message: str = "") -> None:
    """Record the attempt's new state and do what it means for the order (inside the caller's transaction,
    which holds both rows)."""
    was = attempt.status
    attempt.status = new
    attempt.message = message[:300]
    attempt.save(update_fields=["status", "message", "client_secret", "updated_at"])
    order_id = order.pk
    amount = money(order.total)
    if new == A.AUTHORISED:
        if not order_services.order_authorise(order_id=order_id, payment_note=f"{amount} authorised by card"):
            # The hold ran out or the order was cancelled meanwhile: the authorisation is cancelled.
            transaction.on_commit(lambda: _release_later(order_id), robust=True)
        return
    if new == A.CANCELED and was == A.AUTHORISED and order.status == Order.Status.RECEIVED:
        # Cancelled at the provider (its dashboard, its fraud checks) while the order waited for its capture.
        order_services.order_void_paid(
            order_id=order_id, note="Card payment cancelled by the card processor; nothing was charged"
        )
        return
    note, timeline, email = TELLS_ORDER[new]
    note, timeline = (text.format(amount=amount, message=message) for text in (note, timeline))
    order_services.order_payment_update(order_id=order_id, payment_note=note, timeline=timeline, email=email)
    if new == A.CAPTURED:
        order_services.order_confirm_paid(order_id=order_id, payment_note=note)


def _release_later(order_id: int) -> None:
    release_wanted.send(sender=PaymentAttempt, order_id=order_id)


# --- capture, cancel (the worker) ------------------------------------------------------------------


def _settle_call(attempt: PaymentAttempt, call: Any) -> dict[str, Any] | None:
    """Make one provider call for a locked attempt; on an error, read the intent back (the call may have
    gone through before the error, e.g. a capture whose answer was lost)."""
    try:
        return dict(call())
    except (provider.StripeError, *provider.UNREACHABLE) as exc:
        logger.warning("payments: a call for attempt %s failed: %s", attempt.pk, exc)
        if not attempt.intent_id:
            return None
        try:
            return provider.retrieve_intent(attempt.intent_id)
        except (provider.StripeError, *provider.UNREACHABLE):
            return None


def payment_capture_wanted(*, order_id: int) -> bool:
    """Whether to queue a capture job now: not again while one queued in the last 15 s may still be
    waiting for the worker (the undo-window sweep asks on every run)."""
    now = timezone.now()
    due = Q(capture_queued_at__isnull=True) | Q(capture_queued_at__lt=now - CAPTURE_REQUEUE_AFTER)
    rows = PaymentAttempt.objects.filter(order_id=order_id, status__in=[A.AUTHORISED, A.CAPTURED]).filter(due)
    return rows.update(capture_queued_at=now) > 0


def payment_capture(*, order_id: int) -> Outcome:
    """The undo window ended: capture the authorised payment once, then the order is confirmed.

    Only for an order still ``received`` whose ``undo_until`` has passed, checked under the order's lock
    (an undo waits for it, then finds its window closed), and only for an intent the provider still holds
    for capture. A capture that fails is tried again by the sweep; after ``PAYMENT_CAPTURE_TRIES`` the
    order is confirmed with "payment problem" for the owner to decide (collect on delivery, or cancel)."""
    with transaction.atomic():
        order, attempt = lock_live_attempt(order_id=order_id, statuses=[A.AUTHORISED, A.CAPTURED])
        if order is None or attempt is None:
            return Outcome.NOTHING_TO_CAPTURE
        if attempt.status == A.CAPTURED:  # captured, but perhaps not confirmed (e.g. a crash in between)
            order_services.order_confirm_paid(order_id=order_id, payment_note=order.payment_note)
            return Outcome.ALREADY_CAPTURED
        if order.status != Order.Status.RECEIVED:
            return Outcome.NOT_RECEIVED  # undone or cancelled: its release cancels the authorisation
        if order.undo_open():
            return Outcome.TOO_EARLY
        intent_id, key = attempt.intent_id or "", str(attempt.key)
        try:  # cancelled at the provider meanwhile? (its dashboard, its fraud checks)
            current: dict[str, Any] | None = provider.retrieve_intent(intent_id)
        except (provider.StripeError, *provider.UNREACHABLE):
            current = None
        if current is not None and current.get("status") != "requires_capture":
            return attempt_apply(intent=current, attempt_id=attempt.pk)
        intent = None
        if current is not None:
            intent = _settle_call(attempt, lambda: provider.capture_intent(intent_id, key))
        if intent is not None and intent.get("status") in ("succeeded", "canceled"):
            return attempt_apply(intent=intent, attempt_id=attempt.pk)
        failures = attempt.capture_failures + 1
        PaymentAttempt.objects.filter(pk=attempt.pk).update(capture_failures=F("capture_failures") + 1)
    if failures >= settings.PAYMENT_CAPTURE_TRIES:
        order_services.order_confirm_paid(
            order_id=order_id, payment_note="Payment problem: capture failed — collect on delivery or cancel"
        )
        return Outcome.PAYMENT_PROBLEM
    order_services.order_payment_update(
        order_id=order_id, payment_note="Authorised; capture pending", timeline=f"Capture failed (try {failures})"
    )
    return Outcome.CAPTURE_FAILED


def payment_release(*, order_id: int) -> list[Outcome]:
    """The order will not be paid for (cancelled, undone, hold ran out): cancel every live attempt's
    authorisation, and refund a captured one in full, once."""
    order = Order.objects.filter(pk=order_id).first()
    if order is None or order.status not in ORDER_ENDED:
        return []
    live = PaymentAttempt.objects.filter(order_id=order_id, status__in=PaymentAttempt.LIVE)
    return [_release_attempt(attempt_id) for attempt_id in live.values_list("pk", flat=True)]


def _release_attempt(attempt_id: int) -> Outcome:
    with transaction.atomic():
        order, attempt = lock_attempt(attempt_id=attempt_id)
        if order is None or attempt is None or attempt.status not in PaymentAttempt.LIVE:
            return Outcome.SETTLED
        if attempt.status in (A.CAPTURED, A.REFUNDING):
            return _refund_locked(order, attempt)
        if not attempt.intent_id:
            if attempt.sent_at is None:  # never sent: nothing exists at the provider
                _move(order, attempt, A.CANCELED)
                return Outcome.CANCELLED_UNSENT
            return Outcome.PENDING  # sent without an answer: the sweep gives it up, then it is released
        intent_id = attempt.intent_id
        intent = _settle_call(attempt, lambda: provider.cancel_intent(intent_id))
        if intent is None:
            return Outcome.CANCEL_FAILED
    return attempt_apply(intent=intent, attempt_id=attempt_id)


def intent_release(*, intent_id: str) -> Outcome:
    """Cancel, at the provider, an intent held for an attempt the shop has ended (a late authorisation)."""
    try:
        intent = provider.cancel_intent(intent_id)
    except (provider.StripeError, *provider.UNREACHABLE) as exc:
        try:
            intent = provider.retrieve_intent(intent_id)
        except (provider.StripeError, *provider.UNREACHABLE):
            logger.warning("payments: could not cancel intent %s (%s); the sweep tries again", intent_id, exc)
            return Outcome.CANCEL_FAILED
    if intent.get("status") == "succeeded":
        logger.error("payments: intent %s was captured for an attempt the shop had ended", intent_id)
    return Outcome.SETTLED if intent.get("status") == "canceled" else Outcome.CANCEL_FAILED


# --- refunds -----------------------------------------------------------------------------------------


def attempt_refund(*, attempt_id: int) -> Outcome:
    """Refund a captured attempt in full (a cancelled order; the owner, for a failed delivery), or look at
    the refund already asked for."""
    with transaction.atomic():
        order, attempt = lock_attempt(attempt_id=attempt_id)
        if order is None or attempt is None or attempt.status not in (A.CAPTURED, A.REFUNDING):
            return Outcome.NOT_CAPTURED
        return _refund_locked(order, attempt)


def _refund_locked(order: Order, attempt: PaymentAttempt) -> Outcome:
    if attempt.refund_id:  # asked before: what does the provider say now?
        try:
            refund = provider.retrieve_refund(attempt.refund_id)
        except (provider.StripeError, *provider.UNREACHABLE):
            return Outcome.REFUND_FAILED
        return _refund_news(order, attempt, refund)
    try:
        refund = provider.refund_intent(attempt.intent_id or "", f"{attempt.key}-{attempt.refund_failures}")
    except (provider.StripeError, *provider.UNREACHABLE) as exc:
        # The refund may have gone through before the error: read the charge back before another try.
        if _refunded_in_full(attempt):
            _move(order, attempt, A.REFUNDED)
            return Outcome.NOW_REFUNDED
        return _refund_failed(order, attempt, str(getattr(exc, "user_message", "") or exc.__class__.__name__))
    return _refund_news(order, attempt, refund)


def _refunded_in_full(attempt: PaymentAttempt) -> bool:
    try:
        intent = provider.retrieve_intent(attempt.intent_id or "")
        charge_id = intent.get("latest_charge")
        if isinstance(charge_id, dict):
            charge_id = charge_id.get("id")
        if not charge_id:
            return False
        charge = provider.retrieve_charge(str(charge_id))
    except (provider.StripeError, *provider.UNREACHABLE):
        return False
    return int(charge.get("amount_refunded") or 0) >= attempt.amount


def _refund_news(order: Order, attempt: PaymentAttempt, refund: dict[str, Any]) -> Outcome:
    """Apply a refund's status as the provider gives it (both rows locked)."""
    status = str(refund.get("status") or "")
    if status in ("failed", "canceled"):
        reason = str(refund.get("failure_reason") or status)
        attempt.refund_id = None  # the next try is a new refund, with a new key
        attempt.save(update_fields=["refund_id", "updated_at"])
        return _refund_failed(order, attempt, f"the refund {reason}")
    if attempt.refund_id != refund.get("id"):
        attempt.refund_id = refund.get("id")
        attempt.save(update_fields=["refund_id", "updated_at"])
    if status == "succeeded":
        if not may_move(attempt.status, A.REFUNDED):
            return Outcome.NO_CHANGE
        _move(order, attempt, A.REFUNDED)
        return Outcome.NOW_REFUNDED
    if attempt.status == A.CAPTURED:  # pending or requires_action: asked, not done
        _move(order, attempt, A.REFUNDING)
        return Outcome.NOW_REFUNDING
    attempt.save(update_fields=["updated_at"])  # looked at: the sweep asks again later
    return Outcome.STILL_PENDING


def _refund_failed(order: Order, attempt: PaymentAttempt, reason: str) -> Outcome:
    attempt.refund_failures += 1
    attempt.save(update_fields=["refund_failures", "updated_at"])
    logger.warning("payments: refund of attempt %s failed (try %s): %s", attempt.pk, attempt.refund_failures, reason)
    if attempt.refund_failures >= settings.PAYMENT_REFUND_TRIES:
        _move(order, attempt, A.REFUND_PROBLEM, f"{reason} after {attempt.refund_failures} tries")
        return Outcome.NOW_REFUND_PROBLEM
    return Outcome.REFUND_FAILED


def refund_apply(*, refund: dict[str, Any]) -> Outcome:
    """A refund as the provider gives it (fetched after a webhook said it changed)."""
    attempt_id = selectors.attempt_id_for_refund(refund_id=str(refund.get("id") or ""))
    if attempt_id is None:
        attempt_id = selectors.attempt_id_for_intent(intent_id=str(refund.get("payment_intent") or ""), key=None)
    if attempt_id is None:
        return Outcome.UNKNOWN_INTENT
    with transaction.atomic():
        order, attempt = lock_attempt(attempt_id=attempt_id)
        if order is None or attempt is None or attempt.status not in (A.CAPTURED, A.REFUNDING, A.REFUND_PROBLEM):
            return Outcome.NO_CHANGE
        return _refund_news(order, attempt, refund)


# --- the webhook inbox -----------------------------------------------------------------------------

# What each handled event is about: the object the worker fetches from the provider before acting.
EVENT_OBJECTS = {
    "payment_intent.succeeded": "intent",
    "payment_intent.payment_failed": "intent",
    "payment_intent.canceled": "intent",
    "payment_intent.amount_capturable_updated": "intent",
    "payment_intent.requires_action": "intent",
    "refund.created": "refund",
    "refund.updated": "refund",
    "refund.failed": "refund",
    "charge.refund.updated": "refund",
}


def event_receive(*, payload: bytes, signature: str) -> Outcome:
    """Store a correctly signed provider event once; the worker applies it (``event_apply``). Any order,
    any number of times: the second copy of an event finds it stored."""
    try:
        event = provider.parse_event(payload, signature)
    except (ValueError, provider.SignatureError):
        raise BadEvent() from None
    event_id, kind = str(event.get("id") or ""), str(event.get("type") or "")
    if not event_id:
        raise BadEvent()
    handled = kind in EVENT_OBJECTS
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = ProviderEvent.objects.create(
                    event_id=event_id,
                    type=kind[:100],
                    payload=event,
                    applied_at=None if handled else timezone.now(),
                    outcome="" if handled else Outcome.IGNORED,
                )
        except IntegrityError:
            return Outcome.DUPLICATE
        if handled:
            event_stored.send(sender=ProviderEvent, event_id=stored.pk)
    return Outcome.STORED if handled else Outcome.IGNORED


def event_apply(*, event_id: int) -> Outcome:
    """Apply a stored event: fetch its object from the provider and apply what the provider says, never
    what the event claims. Left unapplied when the provider cannot be asked: the sweep tries again."""
    event = ProviderEvent.objects.filter(pk=event_id, applied_at__isnull=True).first()
    if event is None:
        return Outcome.SETTLED
    found = ((event.payload.get("data") or {}).get("object") or {}).get("id")
    about = EVENT_OBJECTS.get(event.type)
    try:
        if not found or about is None:
            outcome = Outcome.IGNORED
        elif about == "intent":
            outcome = attempt_apply(intent=provider.retrieve_intent(str(found)))
        else:
            outcome = refund_apply(refund=provider.retrieve_refund(str(found)))
    except (provider.StripeError, *provider.UNREACHABLE) as exc:
        logger.warning("payments: event %s not applied yet: %s", event.event_id, exc)
        return Outcome.UNREACHABLE
    ProviderEvent.objects.filter(pk=event_id, applied_at__isnull=True).update(
        applied_at=timezone.now(), outcome=outcome
    )
    return outcome


def attempt_check_soon(*, attempt_id: int) -> None:
    """The page finished 3-D Secure: have the worker read the attempt back now (the sweep would, later)."""
    attempt_checked.send(sender=PaymentAttempt, attempt_id=attempt_id)


# --- the sweep ---------------------------------------------------------------------------------------


def attempt_resolve(*, attempt_id: int) -> Outcome:
    """Read back an attempt the provider has not answered for (sent, no answer; or 3-D Secure), by its
    intent's id. An attempt whose create had no answer is sent again with the same idempotency key:
    creating moves no money, and Stripe answers a repeated key with the intent it made the first time."""
    attempt = PaymentAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None or attempt.status not in (A.STARTED, A.ACTION):
        return Outcome.SETTLED
    if attempt.sent_at is None:
        return attempt_send(attempt_id=attempt_id)
    waiting = Order.objects.filter(pk=attempt.order_id, status=Order.Status.AWAITING_PAYMENT).exists()
    fresh = timezone.now() - attempt.sent_at <= PENDING_GIVE_UP_AFTER
    if attempt.intent_id:
        try:
            intent = provider.retrieve_intent(attempt.intent_id)
        except (provider.StripeError, *provider.UNREACHABLE):
            return Outcome.UNREACHABLE
        if intent.get("status") != "requires_confirmation":
            return attempt_apply(intent=intent, attempt_id=attempt_id)
    if waiting and fresh:
        return _send(attempt_id)  # create (again) and confirm by id
    outcome = _end(attempt_id, A.CANCELED, "The card processor did not answer; nothing was charged.")
    _release_intent_later(attempt.intent_id)
    return Outcome.GIVEN_UP if outcome == Outcome.NOW_CANCELED else outcome


def payments_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """What timers and webhooks may have missed: attempts without an answer, orders that ended with a live
    attempt (refunds that failed or are pending included), events not yet applied.
    Also tells a local stand-in provider our webhook again."""
    now = now or timezone.now()
    counts = {"resolved": 0, "released": 0, "events": 0}
    waiting = PaymentAttempt.objects.filter(
        status__in=[A.STARTED, A.ACTION], created_at__lte=now - PENDING_RESOLVE_AFTER
    ).values_list("pk", flat=True)
    for attempt_id in list(waiting[:100]):
        counts["resolved"] += attempt_resolve(attempt_id=attempt_id) not in (Outcome.PENDING, Outcome.UNREACHABLE)
    ended = PaymentAttempt.objects.filter(status__in=PaymentAttempt.LIVE, order__status__in=ORDER_ENDED).filter(
        Q(status__in=[A.STARTED, A.ACTION, A.AUTHORISED]) | Q(updated_at__lte=now - REFUND_RETRY_AFTER)
    )
    for order_id in sorted(set(ended.values_list("order_id", flat=True)[:100])):
        counts["released"] += len(payment_release(order_id=order_id))
    unapplied = ProviderEvent.objects.filter(applied_at__isnull=True, received_at__lte=now - EVENT_APPLY_AFTER)
    for event_id in list(unapplied.order_by("received_at").values_list("pk", flat=True)[:100]):
        counts["events"] += event_apply(event_id=event_id) != Outcome.UNREACHABLE
    if settings.STRIPE_REGISTER_WEBHOOK:
        try:
            provider.register_webhook(settings.STRIPE_REGISTER_WEBHOOK)
        except Exception:  # noqa: BLE001 - the provider is down: next sweep
            logger.warning("payments: could not register the webhook with %s", settings.STRIPE_API_BASE)
    return counts
