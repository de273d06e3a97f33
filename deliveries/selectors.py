from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

from django.db.models import Count, F, Q, Sum

from chefshop.live.board import start_of_today
from deliveries.machine import DRIVER_STATUSES
from deliveries.models import Delivery, Driver

D = Delivery.Status


FINISHED_SHOWN = 30  # the dispatch board's "finished today" keeps the latest few


def drivers_active() -> list[Driver]:
    return list(Driver.objects.filter(active=True).order_by("name"))


def pending_slots(*, now: datetime | None = None, slot_ids: Collection[int] | None = None) -> list[dict[str, Any]]:
    """Per slot (today's and later) with deliveries: ``slot_id``, ``start``, ``end``, ``slot_version``,
    ``count`` (waiting for a driver) and ``versions`` (sum of the versions of all its deliveries). One query."""
    rows = Delivery.objects.filter(order__slot__start__gte=start_of_today(now))
    if slot_ids is not None:
        rows = rows.filter(order__slot_id__in=slot_ids)
    return cast(
        list[dict[str, Any]],
        list(
            rows.values(
                slot_id=F("order__slot_id"),
                start=F("order__slot__start"),
                end=F("order__slot__end"),
                slot_version=F("order__slot__version"),
            )
            .annotate(count=Count("pk", filter=Q(status=D.PENDING)), versions=Sum("version"))
            .order_by("start")
        ),
    )


def dispatch_versions(*, open_slot_ids: Collection[int], now: datetime | None = None) -> list[Any]:
    """Rows (``pk``, ``version``, ``slot_id``, ``slot_version``, ``status``) of every delivery card the board
    shows in full, in board order: waiting in an open slot, on the road, finished today (the latest few). Two
    queries."""
    fields = ("pk", "version", "slot_id", "slot_version", "status")
    with_slot = Delivery.objects.annotate(slot_id=F("order__slot_id"), slot_version=F("order__slot__version"))
    active = list(
        with_slot.filter(
            Q(status=D.PENDING, order__slot_id__in=open_slot_ids) | Q(status__in=[D.ASSIGNED, D.OUT_FOR_DELIVERY])
        )
        .order_by("driver__name", "slot_start", "pk")
        .values_list(*fields, named=True)
    )
    finished = list(
        with_slot.filter(status__in=[D.DELIVERED, D.FAILED], updated_at__gte=start_of_today(now))
        .order_by("-updated_at")
        .values_list(*fields, named=True)[:FINISHED_SHOWN]
    )
    return active + finished


def deliveries_for_cards(*, delivery_ids: Collection[int]) -> list[Delivery]:
    """Deliveries with their order, slot (``slot_id`` and ``slot_version`` too) and driver, for rendering their
    cards."""
    return list(
        Delivery.objects.filter(pk__in=delivery_ids)
        .annotate(slot_id=F("order__slot_id"), slot_version=F("order__slot__version"))
        .select_related("order", "order__slot", "driver")
        .order_by("slot_start", "pk")
    )


def driver_delivery_versions(*, driver_id: int) -> list[Any]:
    """Rows (``pk``, ``version``) of the driver's open deliveries."""
    rows = Delivery.objects.filter(driver_id=driver_id, status__in=DRIVER_STATUSES)
    return list(rows.values_list("pk", "version", named=True))


def driver_deliveries(*, driver: Driver) -> list[Delivery]:
    """The driver's open deliveries, the current trip first: one query, trip snapshots only."""
    deliveries = list(Delivery.objects.filter(driver=driver, status__in=DRIVER_STATUSES).order_by("slot_start", "pk"))
    deliveries.sort(key=lambda d: (d.status != D.OUT_FOR_DELIVERY, d.slot_start, d.pk))
    return deliveries


def delivery_for_driver(*, delivery_id: int, driver: Driver) -> Delivery | None:
    return Delivery.objects.filter(pk=delivery_id, driver=driver).first()


def delivery_get(*, delivery_id: int) -> Delivery | None:
    return Delivery.objects.select_related("order", "driver").filter(pk=delivery_id).first()


def slot_delivery_ids(*, slot_id: int) -> list[int]:
    """Every delivery of a slot's orders, whatever its state."""
    return list(Delivery.objects.filter(order__slot_id=slot_id).values_list("pk", flat=True))


def pending_delivery_ids(*, slot_id: int) -> list[int]:
    return list(Delivery.objects.filter(status=D.PENDING, order__slot_id=slot_id).values_list("pk", flat=True))
