from datetime import datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from slots import services
from slots.errors import CapacityBelowReserved, SlotClosed, SlotFull, SlotNotFound
from slots.models import DeliverySlot
from tests.factories import DeliverySlotFactory, SlotRuleFactory

pytestmark = pytest.mark.django_db


def test_reserve_takes_one_place(slot):
    # when
    services.slot_reserve(slot_id=slot.pk)
    # then
    slot.refresh_from_db()
    assert slot.reserved == 1
    assert slot.places_left == 4


def test_reserve_refuses_when_full():
    # given
    slot = DeliverySlotFactory(capacity=2, reserved=2)
    # when / then
    with pytest.raises(SlotFull):
        services.slot_reserve(slot_id=slot.pk)
    slot.refresh_from_db()
    assert slot.reserved == 2


def test_reserve_refuses_after_cutoff_even_if_not_closed():
    # given: the cutoff has passed but no job has closed the slot yet
    slot = DeliverySlotFactory(order_cutoff=timezone.now() - timedelta(seconds=1), closed=False)
    # when / then
    with pytest.raises(SlotClosed):
        services.slot_reserve(slot_id=slot.pk)
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0


def test_reserve_refuses_closed_slot():
    slot = DeliverySlotFactory(closed=True)
    with pytest.raises(SlotClosed):
        services.slot_reserve(slot_id=slot.pk)


def test_reserve_unknown_slot():
    with pytest.raises(SlotNotFound):
        services.slot_reserve(slot_id=987654)


def test_release_gives_place_back_and_never_goes_negative():
    slot = DeliverySlotFactory(reserved=1)
    services.slot_release(slot_id=slot.pk)
    services.slot_release(slot_id=slot.pk)
    slot.refresh_from_db()
    assert slot.reserved == 0


def test_database_refuses_reserved_above_capacity(slot):
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliverySlot.objects.filter(pk=slot.pk).update(reserved=slot.capacity + 1)


def test_capacity_never_below_reserved():
    # given
    slot = DeliverySlotFactory(capacity=5, reserved=3)
    # when / then
    with pytest.raises(CapacityBelowReserved):
        services.slot_set_capacity(slot_id=slot.pk, capacity=2)
    services.slot_set_capacity(slot_id=slot.pk, capacity=3)
    slot.refresh_from_db()
    assert (slot.capacity, slot.owner_edited) == (3, True)


def test_close_and_reopen_are_idempotent(slot):
    assert services.slot_set_closed(slot_id=slot.pk, closed=True) is True
    assert services.slot_set_closed(slot_id=slot.pk, closed=True) is False
    with pytest.raises(SlotClosed):
        services.slot_reserve(slot_id=slot.pk)
    assert services.slot_set_closed(slot_id=slot.pk, closed=False) is True
    services.slot_reserve(slot_id=slot.pk)


def _monday_morning():
    tz = timezone.get_current_timezone()
    return datetime(2030, 1, 7, 8, 0, tzinfo=tz)  # a Monday


def test_generate_is_idempotent_and_covers_the_horizon():
    # given: a rule for every weekday
    for weekday in range(7):
        SlotRuleFactory(weekday=weekday, start=time(18), end=time(19), capacity=4)
    now = _monday_morning()
    # when
    first = services.slots_generate(now=now, days=7)
    second = services.slots_generate(now=now, days=7)
    # then
    assert first == 7
    assert second == 0
    starts = list(DeliverySlot.objects.order_by("start").values_list("start", flat=True))
    assert starts[0] == now.replace(hour=18)
    assert all(s.astimezone(timezone.get_current_timezone()).hour == 18 for s in starts)
    cutoff = DeliverySlot.objects.order_by("start").first().order_cutoff
    assert cutoff == now.replace(hour=17)


def test_generate_never_overwrites_an_owner_edit_but_follows_rule_changes_elsewhere():
    # given
    rule = SlotRuleFactory(weekday=0, start=time(18), end=time(19), capacity=4)
    SlotRuleFactory(weekday=1, start=time(18), end=time(19), capacity=4)
    now = _monday_morning()
    services.slots_generate(now=now, days=3)
    monday, tuesday = DeliverySlot.objects.order_by("start")
    services.slot_set_capacity(slot_id=monday.pk, capacity=10)
    # when: the owner raises every rule's capacity
    rule.capacity = 8
    rule.save()
    from slots.models import SlotRule

    SlotRule.objects.filter(weekday=1).update(capacity=9)
    services.slots_generate(now=now, days=3)
    # then
    monday.refresh_from_db()
    tuesday.refresh_from_db()
    assert monday.capacity == 10  # the owner's edit survives
    assert tuesday.capacity == 9
