from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from slots.models import DeliverySlot


def slots_upcoming(*, now: datetime | None = None, days: int | None = None) -> QuerySet[DeliverySlot]:
    """Slots that start within the horizon, full and closed ones included (the page shows them disabled)."""
    now = now or timezone.now()
    days = settings.SLOT_HORIZON_DAYS if days is None else days
    return DeliverySlot.objects.filter(start__gte=now, start__lt=now + timedelta(days=days)).order_by("start")


def slot_get(*, slot_id: int) -> DeliverySlot | None:
    return DeliverySlot.objects.filter(pk=slot_id).first()


def slot_version(*, slot_id: int) -> int:
    """The slot's row version; 0 when it no longer exists."""
    return DeliverySlot.objects.filter(pk=slot_id).values_list("version", flat=True).first() or 0


def slots_in_progress(*, now: datetime | None = None, ahead: int = 2) -> set[int]:
    """The slot whose window is open or next to open, and the one after it: the boards show their
    orders in full (and those of any slot already past, still being worked on)."""
    now = now or timezone.now()
    return set(DeliverySlot.objects.filter(end__gt=now).order_by("start").values_list("pk", flat=True)[:ahead])


def open_days(*, now: datetime | None = None) -> list[date]:
    """The delivery days of the horizon that still have a slot open for ordering, soonest first."""
    now = now or timezone.now()
    starts = slots_upcoming(now=now).filter(closed=False, order_cutoff__gt=now).values_list("start", flat=True)
    return sorted({timezone.localdate(start) for start in starts})
