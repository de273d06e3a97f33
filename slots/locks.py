"""Every row lock the slots app takes (DESIGN §2: the slot comes last, after menu items, coupon and
dish-days). A place is taken and given back by conditional UPDATEs, which lock the row themselves; an
owner's change that must read the row first locks it here."""

from slots.models import DeliverySlot


def lock_slot(*, slot_id: int) -> DeliverySlot | None:
    return DeliverySlot.objects.select_for_update().filter(pk=slot_id).first()
