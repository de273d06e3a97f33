"""The card processor, through the official ``stripe`` library: Stripe in production, localstripe in
development and tests (``STRIPE_API_BASE``). Every call has connect and read timeouts and no automatic
retries (a retry is the sweep's decision, with what the database knows). Intents come back as dicts."""

import functools
from typing import Any

import requests
import stripe
from django.conf import settings

# Raised for a provider that cannot be reached or does not answer in time: the outcome is unknown.
UNREACHABLE = (stripe.APIConnectionError, requests.RequestException)
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


def _dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def create_intent(*, amount: int, currency: str, card: str, attempt_key: str, order_ref: str) -> dict[str, Any]:
    """One PaymentIntent, confirmed at once with the card and captured later (manual capture)."""
    intent = client().v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": card,
            "confirm": True,
            "capture_method": "manual",
            "metadata": {"attempt": attempt_key, "order": order_ref},
        },
        options={"idempotency_key": f"attempt-{attempt_key}"},
    )
    return _dict(intent)


def retrieve_intent(intent_id: str) -> dict[str, Any]:
    return _dict(client().v1.payment_intents.retrieve(intent_id))


def recent_intents() -> dict[str, dict[str, Any]]:
    """The provider's 100 most recent intents, by the attempt key in their metadata: where to find an
    attempt whose create call had no answer."""
    found = {}
    for intent in client().v1.payment_intents.list(params={"limit": 100}).data:
        data = _dict(intent)
        key = (data.get("metadata") or {}).get("attempt")
        if key:
            found[str(key)] = data
    return found


def find_intent(attempt_key: str) -> dict[str, Any] | None:
    """The intent made for an attempt whose create call had no answer, looked up by its metadata."""
    return recent_intents().get(attempt_key)


def capture_intent(intent_id: str, attempt_key: str) -> dict[str, Any]:
    return _dict(client().v1.payment_intents.capture(intent_id, options={"idempotency_key": f"capture-{attempt_key}"}))


def cancel_intent(intent_id: str) -> dict[str, Any]:
    return _dict(client().v1.payment_intents.cancel(intent_id))


def refund_intent(intent_id: str, attempt_key: str) -> dict[str, Any]:
    refund = client().v1.refunds.create(
        params={"payment_intent": intent_id}, options={"idempotency_key": f"refund-{attempt_key}"}
    )
    return _dict(refund)


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
