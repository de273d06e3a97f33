"""Every row lock the orders app takes on its own rows (DESIGN §2, lock order): a transaction's own
single order row may be taken first, before menu items, coupon, dish-days and the slot."""

from django.db.models import QuerySet

from orders.models import Cart, CartLine, Notification, Order


def lock_order(*, order_id: int) -> Order | None:
    """The order's row, locked until the transaction ends (None if there is no such order)."""
    return Order.objects.select_for_update(of=("self",)).select_related("slot").filter(pk=order_id).first()


def lock_cart_lines(*, cart: Cart) -> list[CartLine]:
    """The cart's lines (with their dishes, unlocked), locked in id order: a double submit of the same
    cart waits, then finds it empty."""
    return list(
        CartLine.objects.filter(cart=cart).select_related("item").select_for_update(of=("self",)).order_by("pk")
    )


def lock_notification(*, notification_id: int) -> Notification | None:
    """One outbox row, locked while it is sent: two workers never send it twice."""
    return Notification.objects.select_for_update().filter(pk=notification_id).first()


def claim_notifications(rows: "QuerySet[Notification]", *, limit: int) -> list[int]:
    """Up to ``limit`` of these outbox rows not locked by anyone else, locked, in id order."""
    return list(rows.order_by("pk").select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
