"""What the slots app pushes: each changed slot to every open slot picker."""

from django.dispatch import receiver
from django.template.loader import render_to_string

from chefshop import live
from slots import selectors
from slots.signals import slot_changed


def picker_group() -> str:
    return "slots"


def render_slot(slot) -> str:
    return render_to_string("slots/_slot_option.html", {"slot": slot, "push": True})


def render_picker(viewer=None, kwargs=None) -> str:
    """Every slot of the picker, each as its own out-of-band fragment (sent on connect)."""
    return "".join(render_slot(slot) for slot in selectors.slots_upcoming())


def _render_one(slot_id: int) -> str:
    slot = selectors.slot_get(slot_id=slot_id)
    return render_slot(slot) if slot is not None else ""


@receiver(slot_changed, dispatch_uid="slots.live.push_slot")
def push_slot(sender, slot_id: int, **kwargs) -> None:
    live.push_on_commit(picker_group(), lambda: _render_one(slot_id))


live.register_topic("slots", authorize=lambda viewer, kwargs: picker_group(), render_current=render_picker)
