"""Every slots job, run twice: one effect."""

from datetime import time, timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from slots import tasks
from slots.models import DeliverySlot
from tests.factories import DeliverySlotFactory, SlotRuleFactory

pytestmark = pytest.mark.django_db


def test_generate_job_twice_creates_once():
    for weekday in range(7):
        SlotRuleFactory(weekday=weekday, start=time(23, 0), end=time(23, 30))
    first = tasks.slots_generate_job.apply().get()
    second = tasks.slots_generate_job.apply().get()
    assert first >= 6 and second == 0
    assert DeliverySlot.objects.count() == first


def test_close_at_cutoff_twice_closes_once():
    slot = DeliverySlotFactory(order_cutoff=timezone.now() - timedelta(seconds=1))
    assert tasks.slot_close_at_cutoff.apply(args=(slot.pk,)).get() is True
    assert tasks.slot_close_at_cutoff.apply(args=(slot.pk,)).get() is False
    slot.refresh_from_db()
    assert slot.closed and slot.version == 2
    assert not slot.owner_edited


def test_close_task_for_a_future_cutoff_does_not_close():
    slot = DeliverySlotFactory()
    with pytest.raises(Retry):  # asks to run again when the cutoff comes
        tasks.slot_close_at_cutoff(slot.pk)
    assert not DeliverySlot.objects.get(pk=slot.pk).closed


def test_close_task_for_a_deleted_slot_is_harmless():
    assert tasks.slot_close_at_cutoff.apply(args=(987654,)).get() is False


def test_sweep_twice_closes_overdue_once_and_queues_the_near_ones():
    overdue = DeliverySlotFactory(order_cutoff=timezone.now() - timedelta(minutes=5))
    DeliverySlotFactory(order_cutoff=timezone.now() + timedelta(seconds=30))
    DeliverySlotFactory(order_cutoff=timezone.now() + timedelta(hours=3))
    closed, scheduled = tasks.slots_sweep_job.apply().get()
    assert (closed, scheduled) == (1, 1)
    closed, scheduled = tasks.slots_sweep_job.apply().get()
    assert closed == 0
    assert DeliverySlot.objects.get(pk=overdue.pk).version == 2
