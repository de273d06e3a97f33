"""Every change to the menu's stock: portions per dish per delivery day.

Only the orders service takes and returns portions, in the same transaction as the order's slot place:
one conditional UPDATE per dish, in dish-id order, so two carts crossing the same dishes never deadlock.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from catalog.errors import DishNotFound, SoldOut, TotalBelowReserved
from catalog.locks import lock_dish, lock_dishes_shared
from catalog.models import MAX_PORTIONS, DishDay, MenuItem
from catalog.signals import dish_changed, stock_changed


def day_label(day: date) -> str:
    return f"{day:%a %d %b}"


def _changed(item_ids: Iterable[int], day: date) -> None:
    stock_changed.send(sender=DishDay, item_ids=sorted(set(item_ids)), day=day)


def _check_portions(total: int | None) -> None:
    if total is not None and not 0 <= total <= MAX_PORTIONS:
        raise TotalBelowReserved(f"Please give a number of portions between 0 and {MAX_PORTIONS}.")


def _sum(lines: Iterable[tuple[int | None, int]]) -> dict[int, int]:
    wanted: dict[int, int] = {}
    for item_id, quantity in lines:
        if item_id is not None and quantity > 0:
            wanted[item_id] = wanted.get(item_id, 0) + quantity
    return wanted


@transaction.atomic
def stock_take(*, day: date, lines: Iterable[tuple[int | None, int]]) -> None:
    """Take the portions of every line (dish id, quantity) for ``day``. All or nothing: if one dish is
    short, ``SoldOut`` names it and says how many are left, and nothing is taken."""
    wanted = _sum(lines)
    if not wanted:
        return
    ids = sorted(wanted)
    dishes = lock_dishes_shared(ids)
    if len(dishes) != len(ids):
        raise DishNotFound()
    DishDay.objects.bulk_create(
        [DishDay(item_id=pk, day=day, total=dishes[pk][1]) for pk in ids], ignore_conflicts=True
    )
    for pk in ids:
        quantity = wanted[pk]
        taken = (
            DishDay.objects.filter(item_id=pk, day=day)
            .filter(Q(total__isnull=True) | Q(total__gte=F("reserved") + quantity))
            .update(reserved=F("reserved") + quantity, version=F("version") + 1)
        )
        if not taken:
            row = DishDay.objects.get(item_id=pk, day=day)
            raise SoldOut(name=dishes[pk][0], day_label=day_label(day), left=row.left or 0)
    _changed(ids, day)


@transaction.atomic
def stock_return(*, day: date, lines: Iterable[tuple[int | None, int]]) -> None:
    """Give back the portions of food never cooked (undo, cancel before the kitchen starts), taking the
    locks in the one order placing takes them: the dishes shared, then their day rows by dish id."""
    wanted = _sum(lines)
    if wanted:
        lock_dishes_shared(sorted(wanted))
    for pk in sorted(wanted):
        DishDay.objects.filter(item_id=pk, day=day).update(
            reserved=Greatest(F("reserved") - wanted[pk], 0), version=F("version") + 1
        )
    if wanted:
        _changed(wanted, day)


def _horizon(day: date) -> None:
    today = timezone.localdate()
    if not today <= day <= today + timedelta(days=settings.SLOT_HORIZON_DAYS):
        raise TotalBelowReserved(
            f"Please choose a day between {day_label(today)} and "
            f"{day_label(today + timedelta(days=settings.SLOT_HORIZON_DAYS))}."
        )


def check_total(*, item_id: int, day: date, total: int | None) -> None:
    """What ``stock_set_total`` refuses, checked without writing (for forms)."""
    _check_portions(total)
    _horizon(day)
    row = DishDay.objects.filter(item_id=item_id, day=day).first()
    if total is not None and row is not None and row.reserved > total:
        raise TotalBelowReserved(
            f"{day_label(day)} already has {row.reserved} portions ordered; the total cannot be lower."
        )


@transaction.atomic
def stock_set_total(*, item_id: int, day: date, total: int | None) -> DishDay:
    """The owner sets one day's portions of a dish (None: unlimited), never below what is reserved."""
    _check_portions(total)
    _horizon(day)
    dishes = lock_dishes_shared([item_id])
    if not dishes:
        raise DishNotFound()
    DishDay.objects.bulk_create([DishDay(item_id=item_id, day=day, total=dishes[item_id][1])], ignore_conflicts=True)
    rows = DishDay.objects.filter(item_id=item_id, day=day)
    if total is not None:
        rows = rows.filter(reserved__lte=total)
    if not rows.update(total=total, overridden=True, version=F("version") + 1):
        reserved = DishDay.objects.get(item_id=item_id, day=day).reserved
        raise TotalBelowReserved(
            f"{dishes[item_id][0]} on {day_label(day)} already has {reserved} portions ordered; "
            f"the total cannot be lower."
        )
    _changed([item_id], day)
    return DishDay.objects.get(item_id=item_id, day=day)


def days_below(*, item_id: int, portions: int | None) -> list[tuple[date, int]]:
    """Days from today on, following the dish's default, that already have more portions ordered."""
    if portions is None:
        return []
    rows = DishDay.objects.filter(
        item_id=item_id, overridden=False, day__gte=timezone.localdate(), reserved__gt=portions
    ).order_by("day")
    return list(rows.values_list("day", "reserved"))


@transaction.atomic
def item_set_daily_portions(*, item_id: int, portions: int | None) -> None:
    """Change a dish's default: every day from today on without its own number follows at once.
    Refused, naming the day, where that day already has more portions ordered."""
    _check_portions(portions)
    item = lock_dish(item_id)
    if item is None:
        raise DishNotFound()
    below = days_below(item_id=item_id, portions=portions)
    if below:
        day, reserved = below[0]
        raise TotalBelowReserved(
            f"{item.name} on {day_label(day)} already has {reserved} portions ordered; "
            f"the daily portions cannot be lower than that."
        )
    MenuItem.objects.filter(pk=item_id).update(daily_portions=portions, version=F("version") + 1)
    following = DishDay.objects.filter(item_id=item_id, overridden=False, day__gte=timezone.localdate())
    days = sorted(set(following.values_list("day", flat=True)))
    following.update(total=portions, version=F("version") + 1)
    for day in days:
        _changed([item_id], day)
    dish_changed.send(sender=MenuItem, item_ids=[item_id])
