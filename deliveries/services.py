"""Every change to deliveries. Finishing a delivery finishes its order through the orders service."""

from django.db import transaction
from django.utils import timezone

from chefshop.statemachine import versioned_move
from deliveries.models import Delivery, DeliveryEvent, Driver
from deliveries.signals import delivery_changed
from orders import selectors as order_selectors
from orders import services as order_services
from orders.errors import IllegalTransition, StaleVersion
from orders.models import Order

D = Delivery.Status

TRANSITIONS: dict[str, set[str]] = {
    D.PENDING: {D.ASSIGNED},
    D.ASSIGNED: {D.ASSIGNED, D.OUT_FOR_DELIVERY},  # assigned → assigned is a reassignment
    D.OUT_FOR_DELIVERY: {D.DELIVERED, D.FAILED},
}
# The order follows its delivery once it leaves the kitchen.
ORDER_MIRROR = {
    D.OUT_FOR_DELIVERY: Order.Status.OUT_FOR_DELIVERY,
    D.DELIVERED: Order.Status.DELIVERED,
    D.FAILED: Order.Status.FAILED,
}


class StaleDelivery(StaleVersion):
    message = "This delivery was changed meanwhile. Here is its current state."


def _signal(delivery: Delivery, driver_ids: set[int], assigned_to: int | None = None) -> None:
    delivery_changed.send(
        sender=Delivery, delivery_id=delivery.pk, driver_ids={d for d in driver_ids if d}, assigned_to=assigned_to
    )


@transaction.atomic
def delivery_create_for_order(*, order_id: int) -> Delivery:
    """The prepped order's delivery, waiting for a driver. Running it twice creates one."""
    order = Order.objects.select_related("slot").get(pk=order_id)
    delivery, created = Delivery.objects.get_or_create(order=order, defaults={"slot_start": order.slot.start})
    if created:
        DeliveryEvent.objects.create(delivery=delivery, from_status="", to_status=D.PENDING)
        _signal(delivery, set())
    return delivery


def trip_snapshot(order: Order) -> dict:
    """The denormalised trip a driver needs, read once from the order."""
    start = timezone.localtime(order.slot.start)
    return {
        "order": str(order.public_id),
        "name": order.name,
        "phone": order.phone,
        "address": order.address,
        "notes": order.notes,
        "items": [{"quantity": item.quantity, "name": item.name} for item in order.items.all()],
        "slot": f"{start:%a %d %b}, {start:%H:%M}–{timezone.localtime(order.slot.end):%H:%M}",
        "slot_start": order.slot.start.isoformat(),
        "slot_end": order.slot.end.isoformat(),
        "total": str(order.total),
    }


def _move(*, delivery: Delivery, to_status: str, version: int, actor=None, note: str = "", **fields) -> Delivery:
    old_driver_id = delivery.driver_id
    from_status = versioned_move(
        delivery,
        to_status=to_status,
        version=version,
        transitions=TRANSITIONS,
        stale=StaleDelivery,
        illegal=IllegalTransition,
        **fields,
    )
    DeliveryEvent.objects.create(
        delivery=delivery,
        from_status=from_status,
        to_status=to_status,
        driver_id=delivery.driver_id,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=note,
    )
    if to_status in ORDER_MIRROR:
        order = Order.objects.get(pk=delivery.order_id)
        order_services.order_transition(order=order, to_status=ORDER_MIRROR[to_status], actor=actor, note=note)
    _signal(
        delivery,
        {old_driver_id, delivery.driver_id},
        assigned_to=delivery.driver_id if to_status == D.ASSIGNED else None,
    )
    return delivery


@transaction.atomic
def delivery_assign(*, delivery: Delivery, driver: Driver, version: int, actor=None) -> Delivery:
    """Give the delivery to a driver (or to another one), with the trip snapshot written once."""
    if not driver.active:
        raise IllegalTransition(f"{driver.name} is not an active driver.")
    order = order_selectors.order_detail(public_id=delivery.order.public_id)
    note = f"Assigned to {driver.name}" if delivery.driver_id is None else f"Reassigned to {driver.name}"
    return _move(
        delivery=delivery,
        to_status=D.ASSIGNED,
        version=version,
        actor=actor,
        note=note,
        driver=driver,
        trip=trip_snapshot(order),
    )


@transaction.atomic
def delivery_start(*, delivery: Delivery, version: int, actor=None) -> Delivery:
    return _move(delivery=delivery, to_status=D.OUT_FOR_DELIVERY, version=version, actor=actor)


@transaction.atomic
def delivery_complete(*, delivery: Delivery, version: int, actor=None) -> Delivery:
    return _move(delivery=delivery, to_status=D.DELIVERED, version=version, actor=actor)


@transaction.atomic
def delivery_fail(*, delivery: Delivery, version: int, reason: str, actor=None) -> Delivery:
    reason = reason.strip()
    if not reason:
        raise IllegalTransition("Please say why the delivery failed.")
    return _move(
        delivery=delivery,
        to_status=D.FAILED,
        version=version,
        actor=actor,
        note=reason[:300],
        failure_reason=reason[:300],
    )
