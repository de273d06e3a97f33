import uuid

from django.db import models
from django.db.models import Q

# Attempt statuses that block another attempt on the same order, and that still need the worker when
# their order ends (an authorisation to cancel, a payment to refund).
LIVE_STATUSES = ["started", "requires_action", "authorised", "captured", "refunding"]


class PaymentAttempt(models.Model):
    """One try at paying one order: one PaymentIntent with manual capture at the provider.

    At most one attempt per order is live (started, waiting for 3-D Secure, authorised or captured):
    the database refuses a second, so a double click or two tabs can never charge twice. A declined or
    cancelled attempt makes room for a new one ("Try another card"). How an attempt may move is declared
    once in ``payments/machine.py``.
    """

    class Status(models.TextChoices):
        STARTED = "started", "Sent to the provider"
        ACTION = "requires_action", "Waiting for 3-D Secure"
        AUTHORISED = "authorised", "Authorised"
        DECLINED = "declined", "Declined"
        FAILED = "failed", "Payment problem (the provider refused the shop's request)"
        CANCELED = "canceled", "Cancelled (never charged)"
        CAPTURED = "captured", "Captured"
        REFUNDING = "refunding", "Refund asked, not yet done"
        REFUNDED = "refunded", "Refunded"
        REFUND_PROBLEM = "refund_problem", "Refund problem (for the owner)"

    LIVE = LIVE_STATUSES

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payment_attempts")
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the provider's idempotency key
    intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    client_secret = models.CharField(max_length=255, blank=True)
    card = models.CharField(max_length=255)  # the tokenised card (card_…/pm_…): never a card number
    sent_at = models.DateTimeField(null=True, blank=True)  # when the worker sent it; at most once
    amount = models.PositiveIntegerField()  # in the smallest unit of ``currency``
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.STARTED, db_index=True)
    message = models.CharField(max_length=300, blank=True)  # the provider's reason for a decline
    capture_failures = models.PositiveSmallIntegerField(default=0)
    capture_queued_at = models.DateTimeField(null=True, blank=True)  # one capture job at a time, not one per sweep
    refund_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    refund_failures = models.PositiveSmallIntegerField(default=0)  # refund tries that failed; each try a new key
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status__in=LIVE_STATUSES), name="one_live_attempt_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intent_id or self.key} ({self.status})"


class ProviderEvent(models.Model):
    """The webhook inbox: each provider event stored once by the request, then applied by the worker from
    the object as the provider tells it (an event is news, not truth)."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    # Stored at once by the request; applied by the worker from what the provider says when asked.
    applied_at = models.DateTimeField(null=True, blank=True, db_index=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
