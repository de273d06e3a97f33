import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from chefshop.live.board import start_of_today
from orders.machine import KITCHEN_STATUSES
from orders.models import Cart, CartLine, Order, OrderEvent


def cart_find(*, user: Any = None, token: uuid.UUID | None = None) -> Cart | None:
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    if token is None:
        return None
    return Cart.objects.filter(token=token).first()


def cart_count(*, user: Any = None, token: uuid.UUID | None = None) -> int:
    """Number of dishes in the cart, in one query."""
    if user is not None and user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=user)
    elif token is not None:
        lines = CartLine.objects.filter(cart__token=token)
    else:
        return 0
    return lines.aggregate(n=Sum("quantity"))["n"] or 0


def cart_lines(*, cart: Cart | None) -> list[CartLine]:
    if cart is None:
        return []
    return list(cart.lines.select_related("item").order_by("pk"))


def order_detail(*, public_id: uuid.UUID) -> Order | None:
    """One order with its slot, items and timeline, in three queries."""
    return (
        Order.objects.select_related("slot")
        .prefetch_related("items", Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "pk")))
        .filter(public_id=public_id)
        .first()
    )


def order_for_viewer(*, public_id: uuid.UUID, user: Any = None, token: uuid.UUID | None = None) -> Order | None:
    """The order, if this viewer may see it: staff, the user who placed it, or the same browser."""
    order = order_detail(public_id=public_id)
    if order is None:
        return None
    if user is not None and user.is_authenticated and (user.is_staff or order.user_id == user.pk):
        return order
    if token is not None and order.owner_token == token:
        return order
    return None


def orders_for_user(*, user: Any) -> QuerySet[Order]:
    return Order.objects.filter(user=user).select_related("slot").order_by("-placed_at")


def kitchen_slots(*, now: datetime | None = None, slot_ids: Collection[int] | None = None) -> list[dict[str, Any]]:
    """Per slot (today's and later) with orders for the kitchen: ``slot_id``, ``start``, ``end``,
    ``slot_version``, ``count`` (orders to cook) and ``versions`` (the sum of the versions of all its orders, which
    grows with every change of any of them). One query."""
    rows = Order.objects.filter(slot__start__gte=start_of_today(now))
    if slot_ids is not None:
        rows = rows.filter(slot_id__in=slot_ids)
    return cast(
        list[dict[str, Any]],
        list(
            rows.values("slot_id", start=F("slot__start"), end=F("slot__end"), slot_version=F("slot__version"))
            .annotate(count=Count("pk", filter=Q(status__in=KITCHEN_STATUSES)), versions=Sum("version"))
            .order_by("start")
        ),
    )


def kitchen_order_versions(*, slot_ids: Collection[int]) -> list[Any]:
    """Rows (``pk``, ``public_id``, ``version``, ``slot_id``, ``slot_version``) of the kitchen's orders in these
    slots, in board order. One query."""
    return list(
        Order.objects.filter(status__in=KITCHEN_STATUSES, slot_id__in=slot_ids)
        .annotate(slot_version=F("slot__version"))
        .order_by("slot__start", "confirmed_at", "pk")
        .values_list("pk", "public_id", "version", "slot_id", "slot_version", named=True)
    )


def orders_for_cards(
    *, order_ids: Collection[int] | None = None, public_ids: Collection[uuid.UUID] | None = None
) -> list[Order]:
    """Orders (by pk or by public id) with their slot (``slot_version`` too) and items, for rendering their
    cards (two queries)."""
    orders = Order.objects.select_related("slot").prefetch_related("items").annotate(slot_version=F("slot__version"))
    if order_ids is not None:
        orders = orders.filter(pk__in=order_ids)
    if public_ids is not None:
        orders = orders.filter(public_id__in=public_ids)
    return list(orders.order_by("slot__start", "confirmed_at", "placed_at", "pk"))


def holds_due(*, now: datetime) -> list[int]:
    """Unpaid orders whose payment hold has run out (oldest first, at most 500 a time)."""
    due = Order.objects.filter(status=Order.Status.AWAITING_PAYMENT, hold_until__lte=now).order_by("hold_until")
    return list(due.values_list("pk", flat=True)[:500])
