from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from deliveries import services
from deliveries.models import Driver
from orders.models import Order
from orders.signals import order_status_changed


@receiver(order_status_changed, dispatch_uid="deliveries.create_delivery_when_prepped")
def create_delivery_when_prepped(sender, order_id: int, to_status: str, **kwargs) -> None:
    """Same transaction as the order's change: a prepped order never exists without its delivery."""
    if to_status == Order.Status.PREPPED:
        services.delivery_create_for_order(order_id=order_id)


@receiver(post_save, sender=Driver, dispatch_uid="deliveries.driver_details_changed")
def driver_details_changed(sender: Any, instance: Driver, created: bool = False, **kwargs: Any) -> None:
    """Renamed in admin: the dispatch cards that name the driver show the new name."""
    if not created:
        services.driver_details_changed(driver_id=instance.pk)
