"""What the slots app pushes: one card per slot, to every open slot picker and to the owner's slots board."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone

from chefshop import live
from chefshop.roles import is_owner
from slots import selectors
from slots.models import DeliverySlot
from slots.signals import slot_changed

PICKER_REGION = "slot-list"
BOARD_REGION = "slots-board-rows"


def picker_group() -> str:
    return "slots"


def board_group() -> str:
    return "slots-board"


def slot_version(slot: Any) -> int:
    """The row's version, doubled, plus one once its cutoff has passed: the card says "closed" from
    then on even before the closing job has run, and the version tells every page so."""
    past_cutoff = slot.order_cutoff <= timezone.now()
    return int(slot.version) * 2 + int(past_cutoff)


def _day_version(_day: Any) -> int:
    """A day heading shows only the day: its version never changes; it leaves with the day's last slot."""
    return DAY_VERSION


def sort_key(slot: DeliverySlot) -> str:
    return f"{timezone.localtime(slot.start):%Y%m%d%H%M}{slot.pk:012d}"


# The picker groups its slots by day: a heading card per delivery day, sorted before that day's slots.
DAY_VERSION = 1
DAY = live.CardKind("day", "slot-day-", version_of=_day_version, convert=date.fromisoformat)
PICKER_SLOT = live.CardKind("slot", "slot-", version_of=slot_version)
BOARD_SLOT = live.CardKind("slot", "board-slot-", version_of=slot_version)


def day_card(day: date) -> live.Card:
    ident = f"{day:%Y-%m-%d}"
    cached = live.card_cache.get(DAY.prefix, DAY.card_id(ident), DAY_VERSION)  # the same on every picker
    if cached is not None:
        return cached
    html = render_to_string(
        "slots/_slot_day.html", {"day": day, "card_id": DAY.card_id(ident), "sort": f"{day:%Y%m%d}"}
    )
    return DAY.card(ident, day, region=PICKER_REGION, html=html)


def _context(slot: DeliverySlot, kind: live.CardKind) -> dict[str, Any]:
    return {
        "slot": slot,
        "card_id": kind.card_id(slot.pk),
        "state": slot.state_at(timezone.now()),
        "version": kind.version_of(slot),
        "sort": sort_key(slot),
    }


def render_slot_option(slot: DeliverySlot) -> str:
    return render_to_string("slots/_slot_option.html", _context(slot, PICKER_SLOT))


def render_board_row(slot: DeliverySlot, *, message: str = "") -> str:
    return render_to_string("slots/_board_row.html", {**_context(slot, BOARD_SLOT), "message": message})


def _card_maker(
    kind: live.CardKind, region: str, render: Callable[[DeliverySlot], str], *, by_day: bool = False
) -> Any:
    def versions(group: str) -> live.Versions:
        slots = list(selectors.slots_upcoming(now=timezone.now()).only("pk", "version", "order_cutoff", "start"))
        found: live.Versions = {}
        for slot in slots:
            day = timezone.localdate(slot.start)
            if by_day:
                found.setdefault(*DAY.entry(f"{day:%Y-%m-%d}", day))
            found.update([kind.entry(slot.pk, slot)])
        return found

    def cards(group: str, keys: list[live.CardKey]) -> list[live.Card]:
        days = set(DAY.ids(keys))
        ids = kind.ids(keys)
        shown = {slot.pk: slot for slot in selectors.slots_upcoming().filter(pk__in=ids)}
        if by_day:  # a slot of a new day brings its day's heading
            days |= {timezone.localdate(slot.start) for slot in shown.values()}
        out = [day_card(day) for day in sorted(days)]
        for slot_id in ids:
            slot = shown.get(slot_id)
            if slot is None:  # no longer upcoming (or deleted): off the list, as a closed slot's version
                row_version = selectors.slot_version(slot_id=slot_id)
                out.append(
                    kind.gone(
                        slot_id, region=region, version=row_version * 2 + 1 if row_version else live.GONE_FOR_GOOD
                    )
                )
            else:
                out.append(kind.card(slot.pk, slot, region=region, html=render(slot)))
        return out

    return versions, cards


_picker_versions, _picker_cards = _card_maker(PICKER_SLOT, PICKER_REGION, render_slot_option, by_day=True)
_board_versions, _board_cards = _card_maker(BOARD_SLOT, BOARD_REGION, render_board_row)


def picker_cards() -> list[live.Card]:
    """Every slot card of the picker, as the checkout page renders it."""
    return live.snapshot(live.topic("slots"), picker_group())[1]


def board_cards() -> list[live.Card]:
    return live.snapshot(live.topic("slots-board"), board_group())[1]


@receiver(slot_changed, dispatch_uid="slots.live.push_slot")
def push_slot(sender, slot_id: int, **kwargs) -> None:
    live.notify(picker_group(), PICKER_SLOT.key(slot_id))
    live.notify(board_group(), BOARD_SLOT.key(slot_id))


live.register_topic(
    "slots",
    path="ws/slots/",
    authorize=lambda viewer, kwargs: picker_group(),
    versions=_picker_versions,
    cards=_picker_cards,
    regions=[PICKER_REGION],
    kinds=[DAY, PICKER_SLOT],
)
live.register_topic(
    "slots-board",
    path="ws/owner/slots/",
    authorize=lambda viewer, kwargs: board_group() if is_owner(viewer.user) else None,
    versions=_board_versions,
    cards=_board_cards,
    regions=[BOARD_REGION],
    kinds=[BOARD_SLOT],
)
