"""The card processor, through the official ``stripe`` library: Stripe in production, localstripe in
development and tests (``STRIPE_API_BASE``). Every call has connect and read timeouts and no automatic
retries (a retry is the sweep's decision, with what the database knows). Objects come back as dicts.

Every call and the exact parameters it sends are listed in ``CALLS`` below, checked against the typed
parameter classes of the installed ``stripe`` package (``stripe/params/``) by
``tests/payments/test_provider_contract.py``. The library pins API version ``2026-10-28.endive``, where a
PaymentIntent names its payment methods with ``allowed_payment_method_types`` (``payment_method_types``
is refused there with ``payment_method_types_no_longer_supported``), and a card-only intent needs no
``return_url`` to be confirmed.

How the shop reads the library's errors (``classify``):

- ``CardError``: the card was declined; the customer is told and may try another card.
- no answer, a timeout or a 5xx (``APIConnectionError``, ``APIError``): the outcome is unknown; the
  attempt stays pending and is read back by id.
- a refused request (``InvalidRequestError``, ``AuthenticationError``, ``PermissionError``,
  ``RateLimitError``, ``IdempotencyError``): a problem on the shop's side, shown to the owner as
  "payment problem", never to the customer as a declined card.
"""

import functools
from typing import Any

import requests
import stripe
from django.conf import settings

# Raised for a provider that cannot be reached, does not answer in time or fails (5xx): the outcome is unknown.
UNREACHABLE = (stripe.APIConnectionError, stripe.APIError, requests.RequestException)
# The provider refused the request itself: retrying the same request would not help.
REFUSED = (
    stripe.InvalidRequestError,
    stripe.AuthenticationError,
    stripe.PermissionError,
    stripe.RateLimitError,
    stripe.IdempotencyError,
)
CardError = stripe.CardError
StripeError = stripe.StripeError
SignatureError = stripe.SignatureVerificationError


@functools.cache
def client() -> stripe.StripeClient:
    http = stripe.RequestsClient(timeout=(settings.STRIPE_CONNECT_TIMEOUT, settings.STRIPE_READ_TIMEOUT))
    addresses: Any = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses=addresses, http_client=http, max_network_retries=0
    )


# Every request the shop makes: (method, path, the exact parameters sent, the stripe params class that
# documents them). The contract test makes each call and compares what went on the wire with this.
CALLS: dict[str, tuple[str, str, frozenset[str], str]] = {
    "create_intent": (
        "post",
        "/v1/payment_intents",
        frozenset(
            {"amount", "currency", "payment_method", "allowed_payment_method_types", "capture_method", "metadata"}
        ),
        "PaymentIntentCreateParams",
    ),
    "confirm_intent": ("post", "/v1/payment_intents/{id}/confirm", frozenset(), "PaymentIntentConfirmParams"),
    "capture_intent": ("post", "/v1/payment_intents/{id}/capture", frozenset(), "PaymentIntentCaptureParams"),
    "cancel_intent": ("post", "/v1/payment_intents/{id}/cancel", frozenset(), "PaymentIntentCancelParams"),
    "retrieve_intent": ("get", "/v1/payment_intents/{id}", frozenset(), "PaymentIntentRetrieveParams"),
    "refund_intent": ("post", "/v1/refunds", frozenset({"payment_intent", "metadata"}), "RefundCreateParams"),
    "retrieve_refund": ("get", "/v1/refunds/{id}", frozenset(), "RefundRetrieveParams"),
    "retrieve_charge": ("get", "/v1/charges/{id}", frozenset(), "ChargeRetrieveParams"),
}


def _dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def create_intent(*, amount: int, currency: str, card: str, attempt_key: str, order_ref: str) -> dict[str, Any]:
    """One PaymentIntent for a card, captured later (manual capture), **not confirmed**: no money moves
    until ``confirm_intent``, so its id can be stored first and a lost answer is found by that id."""
    intent = client().v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": card,
            "allowed_payment_method_types": ["card"],
            "capture_method": "manual",
            "metadata": {"attempt": attempt_key, "order": order_ref},
        },
        options={"idempotency_key": f"attempt-{attempt_key}"},
    )
    return _dict(intent)


def confirm_intent(intent_id: str, attempt_key: str) -> dict[str, Any]:
    """Ask the bank to authorise the intent's card (or for 3-D Secure)."""
    intent = client().v1.payment_intents.confirm(intent_id, options={"idempotency_key": f"confirm-{attempt_key}"})
    return _dict(intent)


def retrieve_intent(intent_id: str) -> dict[str, Any]:
    return _dict(client().v1.payment_intents.retrieve(intent_id))


def capture_intent(intent_id: str, attempt_key: str) -> dict[str, Any]:
    return _dict(client().v1.payment_intents.capture(intent_id, options={"idempotency_key": f"capture-{attempt_key}"}))


def cancel_intent(intent_id: str) -> dict[str, Any]:
    return _dict(client().v1.payment_intents.cancel(intent_id))


def refund_intent(intent_id: str, refund_key: str) -> dict[str, Any]:
    """Refund the intent's charge in full. ``refund_key`` is new for each try after a failed refund."""
    refund = client().v1.refunds.create(
        params={"payment_intent": intent_id, "metadata": {"refund": refund_key}},
        options={"idempotency_key": f"refund-{refund_key}"},
    )
    return _dict(refund)


def retrieve_refund(refund_id: str) -> dict[str, Any]:
    return _dict(client().v1.refunds.retrieve(refund_id))


def retrieve_charge(charge_id: str) -> dict[str, Any]:
    return _dict(client().v1.charges.retrieve(charge_id))


def parse_event(payload: bytes, signature: str) -> dict[str, Any]:
    """A webhook's event, if its signature is right (``stripe.SignatureVerificationError`` if not)."""
    event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    return _dict(event)


def register_webhook(url: str) -> None:
    """localstripe forgets its webhooks when it restarts: tell it ours (again)."""
    requests.post(
        f"{settings.STRIPE_API_BASE.rstrip('/')}/_config/webhooks/chefshop",
        data={"url": url, "secret": settings.STRIPE_WEBHOOK_SECRET},
        timeout=(settings.STRIPE_CONNECT_TIMEOUT, settings.STRIPE_READ_TIMEOUT),
    ).raise_for_status()
