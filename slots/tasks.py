"""Celery entry points of the slots app, and the receiver that schedules them.

Each task takes ids, calls a service and is safe to run twice. Services never import this module: they
send ``slot_close_due``, and the receiver below queues the close task after commit.
"""

from datetime import datetime
from typing import Any

from celery import shared_task
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from slots import services
from slots.models import DeliverySlot
from slots.signals import slot_close_due


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


@receiver(slot_close_due, dispatch_uid="slots.queue_close")
def queue_close(sender: Any, slot_id: int, cutoff: datetime, **kwargs: Any) -> None:
    transaction.on_commit(lambda: slot_close_at_cutoff.apply_async((slot_id,), eta=cutoff), robust=True)
