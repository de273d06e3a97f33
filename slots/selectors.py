from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from slots.models import DeliverySlot


def slots_upcoming(*, now=None, days: int | None = None) -> QuerySet[DeliverySlot]:
    """Slots that start within the horizon, full and closed ones included (the page shows them disabled)."""
    now = now or timezone.now()
    days = settings.SLOT_HORIZON_DAYS if days is None else days
    return DeliverySlot.objects.filter(start__gte=now, start__lt=now + timedelta(days=days)).order_by("start")


def slot_get(*, slot_id) -> DeliverySlot | None:
    return DeliverySlot.objects.filter(pk=slot_id).first()
