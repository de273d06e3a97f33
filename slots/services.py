"""Every change to delivery slots. Only the orders service takes and returns places."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from slots.errors import CapacityBelowReserved, SlotClosed, SlotFull, SlotHasOrders, SlotNotFound
from slots.locks import lock_slot
from slots.models import DeliverySlot, SlotRule
from slots.signals import slot_changed, slot_close_due


def _changed(slot_id: int, *, moved: bool = False) -> None:
    """Tell the live pages; ``moved`` when its times changed (the boards' cards show them)."""
    slot_changed.send(sender=DeliverySlot, slot_id=slot_id, moved=moved)


@transaction.atomic
def slot_reserve(*, slot_id: int, now: datetime | None = None) -> None:
    """Take one place, or refuse. One conditional UPDATE is the whole guard against overbooking."""
    now = now or timezone.now()
    updated = DeliverySlot.objects.filter(
        pk=slot_id,
        reserved__lt=F("capacity"),
        order_cutoff__gt=now,
        closed=False,
    ).update(reserved=F("reserved") + 1, version=F("version") + 1)
    if updated == 1:
        _changed(slot_id)
        return
    slot = DeliverySlot.objects.filter(pk=slot_id).first()
    if slot is None:
        raise SlotNotFound()
    if not slot.is_open_at(now):
        raise SlotClosed()
    raise SlotFull()


@transaction.atomic
def slot_release(*, slot_id: int) -> None:
    """Give one place back (order cancelled or finished)."""
    updated = DeliverySlot.objects.filter(pk=slot_id, reserved__gt=0).update(
        reserved=F("reserved") - 1, version=F("version") + 1
    )
    if updated:
        _changed(slot_id)


@transaction.atomic
def slot_set_capacity(*, slot_id: int, capacity: int) -> None:
    """Change a slot's capacity, never below what is already reserved (checked in the same UPDATE)."""
    if capacity < 0:
        raise CapacityBelowReserved("Capacity cannot be negative.")
    updated = DeliverySlot.objects.filter(pk=slot_id, reserved__lte=capacity).update(
        capacity=capacity, owner_edited=True, version=F("version") + 1
    )
    if updated == 0:
        if not DeliverySlot.objects.filter(pk=slot_id).exists():
            raise SlotNotFound()
        raise CapacityBelowReserved()
    _changed(slot_id)


@transaction.atomic
def slot_set_closed(*, slot_id: int, closed: bool, by_owner: bool = True) -> bool:
    """Close or reopen a slot. Returns whether anything changed (so running it twice is harmless)."""
    fields = {"closed": closed, "version": F("version") + 1}
    if by_owner:
        fields["owner_edited"] = True
    updated = DeliverySlot.objects.filter(pk=slot_id).exclude(closed=closed).update(**fields)
    if updated:
        _changed(slot_id)
    return bool(updated)


def _window(rule: SlotRule, day: date) -> tuple[datetime, datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, rule.start), tz)
    end = timezone.make_aware(datetime.combine(day, rule.end), tz)
    return start, end, start - timedelta(minutes=rule.cutoff_minutes)


@transaction.atomic
def slots_generate(*, now: datetime | None = None, days: int | None = None) -> int:
    """Create the slots of the rolling horizon from the weekly rules. Idempotent.

    Existing slots are never replaced; the ones the owner has not touched follow a changed rule
    (capacity never below reserved). Returns how many slots were created.
    """
    now = now or timezone.now()
    days = settings.SLOT_HORIZON_DAYS if days is None else days
    today = timezone.localdate(now)
    rules = list(SlotRule.objects.filter(active=True))
    wanted: list[DeliverySlot] = []
    for offset in range(days + 1):
        day = today + timedelta(days=offset)
        for rule in rules:
            if rule.weekday != day.weekday():
                continue
            start, end, cutoff = _window(rule, day)
            if start <= now or start >= now + timedelta(days=days):
                continue
            wanted.append(DeliverySlot(rule=rule, start=start, end=end, capacity=rule.capacity, order_cutoff=cutoff))
    if not wanted:
        return 0
    existing = {
        (slot.start, slot.end): slot for slot in DeliverySlot.objects.filter(start__in=[w.start for w in wanted])
    }
    new = [w for w in wanted if (w.start, w.end) not in existing]
    DeliverySlot.objects.bulk_create(new, ignore_conflicts=True)
    for created in DeliverySlot.objects.filter(start__in=[n.start for n in new], closed=False):
        slot_schedule_closing(slot_id=created.pk, cutoff=created.order_cutoff, now=now)
        _changed(created.pk)  # a new slot appears on every open picker
    for w in wanted:
        slot = existing.get((w.start, w.end))
        if slot is None or slot.owner_edited or slot.rule_id != w.rule_id:
            continue
        if (slot.capacity, slot.order_cutoff) == (w.capacity, w.order_cutoff):
            continue
        if DeliverySlot.objects.filter(pk=slot.pk, owner_edited=False, reserved__lte=w.capacity).update(
            capacity=w.capacity, order_cutoff=w.order_cutoff, version=F("version") + 1
        ):
            slot_schedule_closing(slot_id=slot.pk, cutoff=w.order_cutoff, now=now)
            _changed(slot.pk)
    return len(new)


# --- closing at the cutoff ----------------------------------------------------------------------

# A close task is put on the queue this long before the cutoff at most (far less than the broker's
# visibility timeout); the sweep puts it there for every slot whose cutoff comes that close.
CLOSE_LEAD = timedelta(seconds=90)


def _schedule_close(slot_id: int, cutoff: datetime) -> None:
    """Ask for the slot's close task; ``slots/tasks.py`` queues it after commit."""
    slot_close_due.send(sender=DeliverySlot, slot_id=slot_id, cutoff=cutoff)


def slot_schedule_closing(*, slot_id: int, cutoff: datetime, now: datetime | None = None) -> bool:
    """Queue the slot's close task if its cutoff is near; a far one is queued later by the sweep."""
    now = now or timezone.now()
    if cutoff - now > CLOSE_LEAD:
        return False
    _schedule_close(slot_id, cutoff)
    return True


@transaction.atomic
def slot_close_if_due(*, slot_id: int, now: datetime | None = None) -> bool:
    """Close the slot if its cutoff has passed. Idempotent: a second run changes nothing."""
    now = now or timezone.now()
    updated = DeliverySlot.objects.filter(pk=slot_id, order_cutoff__lte=now, closed=False).update(
        closed=True, version=F("version") + 1
    )
    if updated:
        _changed(slot_id)
    return bool(updated)


@transaction.atomic
def slots_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Close every slot past its cutoff, and queue the close tasks of the cutoffs coming soon.
    Returns (closed, scheduled)."""
    now = now or timezone.now()
    overdue = list(DeliverySlot.objects.filter(order_cutoff__lte=now, closed=False).values_list("pk", flat=True))
    closed = sum(slot_close_if_due(slot_id=pk, now=now) for pk in overdue)
    soon = DeliverySlot.objects.filter(order_cutoff__gt=now, order_cutoff__lte=now + CLOSE_LEAD, closed=False)
    scheduled = 0
    for pk, cutoff in soon.values_list("pk", "order_cutoff"):
        _schedule_close(pk, cutoff)
        scheduled += 1
    return closed, scheduled


def moved_day_message(orders: int) -> str:
    return (
        f"This slot already has {orders} order{'s' if orders != 1 else ''}: it cannot move to another day, "
        "because their portions were counted for this one. Move it within its day, or make a new slot."
    )


@transaction.atomic
def slot_set_times(*, slot_id: int, **times: datetime) -> None:
    """The owner moves a slot's window or cutoff; a cutoff that comes near gets its close task. A slot
    with orders stays on its day (``SlotHasOrders``): their portions were taken from that day."""
    slot = lock_slot(slot_id=slot_id)
    if slot is None:
        raise SlotNotFound()
    if "start" in times and slot.reserved and timezone.localdate(times["start"]) != timezone.localdate(slot.start):
        raise SlotHasOrders(moved_day_message(slot.reserved))
    DeliverySlot.objects.filter(pk=slot_id).update(owner_edited=True, version=F("version") + 1, **times)
    if "order_cutoff" in times:
        slot_schedule_closing(slot_id=slot_id, cutoff=times["order_cutoff"])
    _changed(slot_id, moved=bool({"start", "end"} & set(times)))


@transaction.atomic
def slot_create(
    *, start: datetime, end: datetime, capacity: int, order_cutoff: datetime, rule: SlotRule | None = None
) -> DeliverySlot:
    """A slot made by hand (admin) rather than from the weekly rules."""
    slot = DeliverySlot.objects.create(
        start=start, end=end, capacity=capacity, order_cutoff=order_cutoff, rule=rule, owner_edited=True
    )
    slot_schedule_closing(slot_id=slot.pk, cutoff=order_cutoff)
    _changed(slot.pk)
    return slot
