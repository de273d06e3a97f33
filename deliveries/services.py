"""Every change to deliveries. Finishing a delivery finishes its order through the orders service."""

from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from chefshop.errors import IllegalTransition
from chefshop.live.board import start_of_today
from chefshop.statemachine import START, Actor, Step
from deliveries.machine import DELIVERY_MACHINE, Effect
from deliveries.models import Delivery, DeliveryEvent, Driver
from deliveries.signals import delivery_changed
from orders import selectors as order_selectors
from orders import services as order_services
from orders.machine import ORDER_MACHINE
from orders.models import Order


@transaction.atomic
def delivery_create_for_order(*, order_id: int) -> Delivery:
    """The prepped order's delivery, waiting for a driver. Running it twice creates one."""
    order = Order.objects.select_related("slot").get(pk=order_id)
    delivery, created = Delivery.objects.get_or_create(order=order, defaults={"slot_start": order.slot.start})
    if created:
        _record(delivery, DELIVERY_MACHINE.first(), from_status=START, old_driver_id=None, actor=None)
    return delivery


def trip_snapshot(order: Order) -> dict[str, Any]:
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


def _record(
    delivery: Delivery, step: Step, *, from_status: str, old_driver_id: int | None, actor: Any, note: str = ""
) -> None:
    """Everything a step does besides moving the status: the timeline event, the order following, the
    signal. The first step (created) comes through here too."""
    person = actor if actor is not None and actor.is_authenticated else None
    DeliveryEvent.objects.create(
        delivery=delivery,
        from_status=from_status,
        to_status=step.target,
        driver_id=delivery.driver_id,
        actor=person,
        note=note or step.label,
    )
    if step.has(Effect.ORDER_FOLLOWS):
        order = Order.objects.get(pk=delivery.order_id)
        order_step = ORDER_MACHINE.find(source=order.status, target=step.target, by=Actor.SYSTEM)
        order_services.order_transition(
            order=order, step=order_step.name, version=order.version, by=Actor.SYSTEM, actor=actor, note=note
        )
    delivery_changed.send(
        sender=Delivery,
        delivery_id=delivery.pk,
        driver_ids={d for d in (old_driver_id, delivery.driver_id) if d},
        assigned_to=delivery.driver_id if step.target == Delivery.Status.ASSIGNED else None,
    )


@transaction.atomic
def delivery_step(
    *,
    delivery: Delivery,
    step: str,
    version: int,
    by: Actor,
    actor: Any = None,
    driver: Driver | None = None,
    reason: str = "",
) -> Delivery:
    """Take one step of the delivery's state machine (``deliveries/machine.py``). ``version`` is the
    version the caller saw: of two people acting at once one wins and the other gets ``StaleVersion``.
    Assigning names the ``driver``; failing names the ``reason``."""
    chosen = DELIVERY_MACHINE.step(step)
    fields: dict[str, Any] = {}
    note = ""
    if chosen.has(Effect.WRITES_TRIP):
        if driver is None or not driver.active:
            raise IllegalTransition(f"{driver.name if driver else 'That driver'} is not an active driver.")
        order = order_selectors.order_detail(public_id=delivery.order.public_id)
        assert order is not None  # a delivery's order is never deleted (PROTECT)
        note = f"{chosen.label} to {driver.name}"
        fields.update(driver=driver, trip=trip_snapshot(order))
    if chosen.has(Effect.NEEDS_REASON):
        reason = reason.strip()[:300]
        if not reason:
            raise IllegalTransition("Please say why the delivery failed.")
        note = fields["failure_reason"] = reason
    old_driver_id = delivery.driver_id
    from_status = DELIVERY_MACHINE.move(delivery, step=chosen, version=version, by=by, **fields)
    _record(delivery, chosen, from_status=from_status, old_driver_id=old_driver_id, actor=actor, note=note)
    return delivery


def delivery_assign(*, delivery: Delivery, driver: Driver, version: int, actor: Any = None) -> Delivery:
    """Give the delivery to a driver (or to another one, before or after it left the kitchen), with the
    trip snapshot written for them."""
    step = {Delivery.Status.ASSIGNED: "reassign", Delivery.Status.OUT_FOR_DELIVERY: "handover"}.get(
        Delivery.Status(delivery.status), "assign"
    )
    return delivery_step(delivery=delivery, step=step, version=version, by=Actor.OWNER, actor=actor, driver=driver)


@transaction.atomic
def driver_details_changed(*, driver_id: int) -> list[int]:
    """A driver's details changed (their name, in admin): the cards that show them, those of the driver's
    deliveries on the boards today, get a new version, and every open board is told. Rows are locked in
    id order, as every other writer of deliveries does."""
    shown = Q(status__in=[Delivery.Status.ASSIGNED, Delivery.Status.OUT_FOR_DELIVERY]) | Q(
        updated_at__gte=start_of_today()
    )
    rows = Delivery.objects.filter(shown, driver_id=driver_id).order_by("pk").select_for_update()
    ids = list(rows.values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids).update(version=F("version") + 1)
    for delivery_id in ids:
        delivery_changed.send(sender=Delivery, delivery_id=delivery_id, driver_ids={driver_id}, assigned_to=None)
    return ids
