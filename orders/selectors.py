import uuid

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from orders.models import Cart, CartLine, Order, OrderEvent


def cart_find(*, user=None, token: uuid.UUID | None = None) -> Cart | None:
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user).first()
    if token is None:
        return None
    return Cart.objects.filter(token=token).first()


def cart_count(*, user=None, token: uuid.UUID | None = None) -> int:
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


def order_for_viewer(*, public_id: uuid.UUID, user=None, token: uuid.UUID | None = None) -> Order | None:
    """The order, if this viewer may see it: staff, the user who placed it, or the same browser."""
    order = order_detail(public_id=public_id)
    if order is None:
        return None
    if user is not None and user.is_authenticated and (user.is_staff or order.user_id == user.pk):
        return order
    if token is not None and order.owner_token == token:
        return order
    return None


def orders_for_user(*, user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).select_related("slot").order_by("-placed_at")


KITCHEN_STATUSES = (Order.Status.CONFIRMED, Order.Status.PREPPING)


def kitchen_orders(*, now=None) -> list[Order]:
    """Orders the kitchen works on, today's and upcoming, in slot order (two queries)."""
    today = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        Order.objects.filter(status__in=KITCHEN_STATUSES, slot__start__gte=today)
        .select_related("slot")
        .prefetch_related("items")
        .order_by("slot__start", "confirmed_at", "pk")
    )
