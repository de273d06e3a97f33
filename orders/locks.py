"""Every row lock the orders app takes on its own rows (DESIGN §2, lock order): a transaction's own
single order row may be taken first, before menu items, coupon, dish-days and the slot."""

from orders.models import Order


def lock_order(*, order_id: int) -> Order | None:
    """The order's row, locked until the transaction ends (None if there is no such order)."""
    return Order.objects.select_for_update(of=("self",)).select_related("slot").filter(pk=order_id).first()
