"""Celery entry points of the slots app: each takes ids, calls a service and is safe to run twice."""

from celery import shared_task
from django.utils import timezone

from slots import services
from slots.models import DeliverySlot


@shared_task(acks_late=True)
def slots_generate_job() -> int:
    return services.slots_generate()


@shared_task(bind=True, acks_late=True, max_retries=20)
def slot_close_at_cutoff(self, slot_id: int) -> bool:
    """Runs at the slot's cutoff (ETA). Early by clock skew? Try again when it is due."""
    cutoff = DeliverySlot.objects.filter(pk=slot_id).values_list("order_cutoff", flat=True).first()
    if cutoff is None:
        return False
    remaining = (cutoff - timezone.now()).total_seconds()
    if remaining > 0:
        raise self.retry(countdown=remaining)
    return services.slot_close_if_due(slot_id=slot_id)


@shared_task(acks_late=True)
def slots_sweep_job() -> tuple[int, int]:
    return services.slots_sweep()
