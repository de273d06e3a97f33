"""Every row lock the payments app takes (DESIGN §2, lock order): an attempt is locked after its order,
never before, so a payment step and an order step on the same order can never wait for each other."""

from orders.locks import lock_order
from orders.models import Order
from payments.models import PaymentAttempt


def lock_attempt(*, attempt_id: int) -> tuple[Order | None, PaymentAttempt | None]:
    """The attempt's order, then the attempt, both locked (Nones if the attempt does not exist)."""
    order_id = PaymentAttempt.objects.filter(pk=attempt_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return None, None
    order = lock_order(order_id=order_id)
    attempt = PaymentAttempt.objects.select_for_update().filter(pk=attempt_id).first()
    return order, attempt


def lock_live_attempt(*, order_id: int, statuses: list[str]) -> tuple[Order | None, PaymentAttempt | None]:
    """The order, then its one attempt in one of ``statuses``, both locked."""
    order = lock_order(order_id=order_id)
    attempt = PaymentAttempt.objects.select_for_update().filter(order_id=order_id, status__in=statuses).first()
    return order, attempt
