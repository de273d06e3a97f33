from django.dispatch import receiver

from deliveries import services
from orders.models import Order
from orders.signals import order_status_changed


@receiver(order_status_changed, dispatch_uid="deliveries.create_delivery_when_prepped")
def create_delivery_when_prepped(sender, order_id: int, to_status: str, **kwargs) -> None:
    """Same transaction as the order's change: a prepped order never exists without its delivery."""
    if to_status == Order.Status.PREPPED:
        services.delivery_create_for_order(order_id=order_id)
