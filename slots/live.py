"""What the slots app pushes: each changed slot to every open slot picker."""

from django.db import transaction
from django.dispatch import receiver
from django.template.loader import render_to_string

from chefshop import live
from chefshop.roles import is_owner
from slots import selectors
from slots.signals import slot_changed


def picker_group() -> str:
    return "slots"


def board_group() -> str:
    return "slots-board"


def render_slot(slot) -> str:
    return render_to_string("slots/_slot_option.html", {"slot": slot, "push": True})


def render_picker(viewer=None, kwargs=None) -> str:
    """Every slot of the picker, each as its own out-of-band fragment (sent on connect)."""
    return "".join(render_slot(slot) for slot in selectors.slots_upcoming())


def render_board_row(slot) -> str:
    return render_to_string("slots/_board_row.html", {"slot": slot, "push": True})


def render_board(viewer=None, kwargs=None) -> str:
    return "".join(render_board_row(slot) for slot in selectors.slots_upcoming())


@receiver(slot_changed, dispatch_uid="slots.live.push_slot")
def push_slot(sender, slot_id: int, **kwargs) -> None:
    def push() -> None:
        slot = selectors.slot_get(slot_id=slot_id)
        if slot is not None:
            live.send_html(picker_group(), render_slot(slot))
            live.send_html(board_group(), render_board_row(slot))

    transaction.on_commit(push, robust=True)


live.register_topic("slots", authorize=lambda viewer, kwargs: picker_group(), render_current=render_picker)
live.register_topic(
    "slots-board",
    authorize=lambda viewer, kwargs: board_group() if is_owner(viewer.user) else None,
    render_current=render_board,
)
