from dataclasses import dataclass, field

from django.utils import timezone

from deliveries.models import Delivery, Driver

D = Delivery.Status


@dataclass
class DispatchBoard:
    pending: list[Delivery]
    drivers: list[Driver]
    by_driver: list[tuple[Driver, list[Delivery]]] = field(default_factory=list)
    finished: list[Delivery] = field(default_factory=list)


def dispatch_board(*, now=None) -> DispatchBoard:
    """Everything the dispatch board shows, in three queries however many deliveries exist."""
    today = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    drivers = list(Driver.objects.filter(active=True).order_by("name"))
    deliveries = list(
        Delivery.objects.filter(status__in=[D.PENDING, D.ASSIGNED, D.OUT_FOR_DELIVERY])
        .select_related("order", "order__slot", "driver")
        .order_by("slot_start", "pk")
    )
    finished = list(
        Delivery.objects.filter(status__in=[D.DELIVERED, D.FAILED], updated_at__gte=today)
        .select_related("order", "driver")
        .order_by("-updated_at")
    )
    active: dict[int, list[Delivery]] = {}
    for delivery in deliveries:
        if delivery.driver_id is not None:
            active.setdefault(delivery.driver_id, []).append(delivery)
    known = {driver.pk: driver for driver in drivers}
    extra = {d.driver_id: d.driver for d in deliveries if d.driver_id and d.driver_id not in known}
    by_driver = [(driver, active.get(driver.pk, [])) for driver in [*drivers, *extra.values()]]
    return DispatchBoard(
        pending=[d for d in deliveries if d.status == D.PENDING],
        drivers=drivers,
        by_driver=by_driver,
        finished=finished,
    )


def driver_deliveries(*, driver: Driver) -> list[Delivery]:
    """The driver's open deliveries, the current trip first: one query, trip snapshots only."""
    deliveries = list(
        Delivery.objects.filter(driver=driver, status__in=[D.ASSIGNED, D.OUT_FOR_DELIVERY]).order_by("slot_start", "pk")
    )
    deliveries.sort(key=lambda d: (d.status != D.OUT_FOR_DELIVERY, d.slot_start, d.pk))
    return deliveries


def delivery_for_driver(*, delivery_id: int, driver: Driver) -> Delivery | None:
    return Delivery.objects.filter(pk=delivery_id, driver=driver).first()


def delivery_get(*, delivery_id: int) -> Delivery | None:
    return Delivery.objects.select_related("order", "driver").filter(pk=delivery_id).first()
