import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from chefshop.models import TimelineEvent


class Cart(models.Model):
    """A cart lives in the database: by the browser's shopper token, or by the user once logged in."""

    token = models.UUIDField(null=True, blank=True, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(token__isnull=False) | Q(user__isnull=False), name="cart_has_owner"),
        ]

    def __str__(self) -> str:
        return f"Cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("catalog.MenuItem", on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    # The dish's price when the customer last saw it here: a change since is shown before checkout.
    price_seen = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "item"], name="cartline_unique_item"),
            models.CheckConstraint(condition=Q(quantity__gte=1) & Q(quantity__lte=99), name="cartline_quantity_range"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × item {self.item_id}"

    @property
    def line_total(self) -> Decimal:
        return self.item.price * self.quantity

    @property
    def price_changed(self) -> bool:
        return self.price_seen is not None and self.price_seen != self.item.price


class Order(models.Model):
    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
        PAYMENT_EXPIRED = "payment_expired", "Payment expired"
        RECEIVED = "received", "Received"
        CONFIRMED = "confirmed", "Confirmed"
        PREPPING = "prepping", "Being prepared"
        PREPPED = "prepped", "Ready for delivery"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Delivery failed"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    idempotency_key = models.UUIDField(unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    owner_token = models.UUIDField(null=True, blank=True, db_index=True, editable=False)
    slot = models.ForeignKey("slots.DeliverySlot", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=100)
    email = models.EmailField()
    phone = models.CharField(max_length=30)
    address = models.CharField(max_length=300)
    notes = models.TextField(blank=True, max_length=500)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    placed_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Paid by card (payments on): the order waits in awaiting_payment, holding its place and portions,
    # until ``hold_until``; ``payment_note`` is what the kitchen and the customer see of the payment.
    pays_by_card = models.BooleanField(default=False)
    hold_until = models.DateTimeField(null=True, blank=True)
    payment_note = models.CharField(max_length=120, blank=True)
    # The end of the undo window, stored once when it starts (placing, or the card's authorisation): undo is
    # refused after it, and the confirm sweep, the capture and the page's countdown all read it.
    undo_until = models.DateTimeField(null=True, blank=True, db_index=True)
    # The delivery day the order's portions were taken from: they go back to it, even if its slot is moved.
    stock_day = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return f"Order {str(self.public_id)[:8]} ({self.name})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("orders:detail", args=[self.public_id])

    def undo_open(self, now: datetime | None = None) -> bool:
        """Whether the customer may still take the order back."""
        return (
            self.status == self.Status.RECEIVED
            and self.undo_until is not None
            and self.undo_until > (now or timezone.now())
        )


class OrderItem(models.Model):
    """A copy of what was ordered: later menu changes never alter a placed order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    menu_item = models.ForeignKey(
        "catalog.MenuItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=120)
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class OrderEvent(TimelineEvent):
    """The order's timeline: one row per status change, written with the change."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True, choices=Order.Status.choices)
    to_status = models.CharField(max_length=20, choices=Order.Status.choices)


class Notification(models.Model):
    """The outbox: written in the same transaction as the change it tells about, sent after commit.

    One row per (order, kind), so a kind is sent at most once however often its task runs.
    """

    class Kind(models.TextChoices):
        NEW_ORDER = "new_order", "New order (to the shop)"
        CONFIRMED = "confirmed", "Order confirmed"
        RECEIVED = "received", "Payment received"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        PAYMENT_EXPIRED = "payment_expired", "Payment expired"
        REFUNDED = "refunded", "Refunded"
        REFUND_PROBLEM = "refund_problem", "Refund problem (to the shop)"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Delivery failed"
        CANCELLED = "cancelled", "Cancelled"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    swept_at = models.DateTimeField(null=True, blank=True)  # last handed to a worker again by the sweep

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["order", "kind"], name="notification_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"
