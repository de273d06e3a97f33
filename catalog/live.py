"""What the catalog pushes: the menu of one delivery day, one card per dish (with its portions left
that day) under one heading card per category. A change of stock or of a dish reaches open menus."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone

from catalog import selectors
from catalog.models import Category, MenuItem
from catalog.signals import dish_changed, stock_changed
from chefshop import live
from chefshop.roles import is_owner

REGION = "menu-dishes"


def _dishes(item_ids: Any, kind: "live.CardKind") -> list[live.CardKey]:
    return [kind.key(pk) for pk in item_ids]


def menu_group(day: date) -> str:
    return f"menu.{day:%Y-%m-%d}"


def _day(group: str) -> date:
    return date.fromisoformat(group.split(".", 1)[1])


def _days_ahead() -> list[date]:
    today = timezone.localdate()
    return [today + timedelta(days=n) for n in range(settings.SLOT_HORIZON_DAYS + 1)]


@dataclass(frozen=True)
class MenuDish:
    """A dish on one day's menu with that day's stock row (None: no portions set for the day)."""

    item: MenuItem
    stock: Any
    day: date

    @property
    def left(self) -> int | None:
        """Portions left that day (None: unlimited)."""
        return selectors.left_of(self.item, self.stock)

    @property
    def sold_out(self) -> bool:
        return self.left == 0

    @property
    def low(self) -> bool:
        return self.left is not None and 0 < self.left <= settings.STOCK_LOW_AT


def _category_sort(category: Category) -> str:
    return f"{category.position:05d}{category.pk:09d}"


def _dish_sort(item: MenuItem) -> str:
    return f"{_category_sort(item.category)}1{item.position:05d}{item.name.casefold()[:40]:<40}{item.pk:09d}"


def _dish_version(dish: MenuDish) -> int:
    """A menu card shows the dish (name, price, available, its category's place) and its day's stock."""
    return int(dish.item.version + (dish.stock.version if dish.stock else 0))


def _category_version(category: Category) -> int:
    return int(category.version)


CATEGORY = live.CardKind("cat", "menu-cat-", version_of=_category_version)
MENU_DISH = live.CardKind("dish", "dish-", version_of=_dish_version)


def render_dish(dish: MenuDish) -> str:
    context = {"dish": dish, "item": dish.item, "sort": _dish_sort(dish.item)}
    return render_to_string(
        "catalog/_dish.html", {**context, "card_id": MENU_DISH.card_id(dish.item.pk), "version": _dish_version(dish)}
    )


def _versions(group: str) -> live.Versions:
    day = _day(group)
    items = list(MenuItem.objects.select_related("category"))
    rows = selectors.stock_rows(day=day, item_ids=[item.pk for item in items])
    found: live.Versions = {}
    for item in sorted(items, key=_dish_sort):
        found.setdefault(*CATEGORY.entry(item.category_id, item.category))
        found.update([MENU_DISH.entry(item.pk, MenuDish(item, rows.get(item.pk), day))])
    return found


def _cards(group: str, keys: list[live.CardKey]) -> list[live.Card]:
    day = _day(group)
    category_ids = set(CATEGORY.ids(keys))
    item_ids = MENU_DISH.ids(keys)
    items = {item.pk: item for item in MenuItem.objects.select_related("category").filter(pk__in=item_ids)}
    rows = selectors.stock_rows(day=day, item_ids=list(items))
    categories = {item.category_id: item.category for item in items.values() if item.category_id in category_ids}
    if category_ids - set(categories):  # a heading pushed on its own
        categories.update(Category.objects.filter(pk__in=category_ids - set(categories)).in_bulk())
    out = []
    for category in categories.values():
        head = render_to_string(
            "catalog/_category_head.html",
            {
                "category": category,
                "card_id": CATEGORY.card_id(category.pk),
                "version": _category_version(category),
                "sort": f"{_category_sort(category)}0",
            },
        )
        out.append(CATEGORY.card(category.pk, category, region=REGION, html=head))
    for pk in item_ids:
        item = items.get(pk)
        if item is None:  # removed from the menu
            out.append(MENU_DISH.gone(pk, region=REGION))
            continue
        dish = MenuDish(item, rows.get(pk), day)
        out.append(MENU_DISH.card(pk, dish, region=REGION, html=render_dish(dish)))
    return out


def menu_cards(day: date) -> list[live.Card]:
    """Every card of one day's menu, as the page renders it."""
    return live.snapshot(live.topic("menu"), menu_group(day))[1]


def _authorize(viewer: Any, kwargs: dict[str, Any]) -> str | None:
    try:
        day = date.fromisoformat(str(kwargs.get("day")))
    except ValueError:
        return None
    return menu_group(day) if day in _days_ahead() else None


def _push_dishes(item_ids: list[int], days: list[date], *, category_id: int | None = None) -> None:
    """These dishes changed on these days' menus (their category's heading too), the stock board and the
    carts' stock data."""
    heading = [CATEGORY.key(category_id)] if category_id is not None else []
    for day in days:
        live.notify(menu_group(day), *heading, *_dishes(item_ids, MENU_DISH))
    if item_ids:
        live.notify(BOARD_GROUP, *_dishes(item_ids, STOCK_ROW))
        live.notify(STOCK_GROUP, *_dishes(item_ids, STOCK_DATA))


@receiver(stock_changed, dispatch_uid="catalog.live.push_stock")
def push_stock(sender: Any, item_ids: list[int], day: date, **kwargs: Any) -> None:
    _push_dishes(item_ids, [day])


@receiver(dish_changed, dispatch_uid="catalog.live.push_dish")
def push_dish(sender: Any, item_ids: list[int], **kwargs: Any) -> None:
    _push_dishes(item_ids, _days_ahead())


@receiver(post_save, sender=MenuItem, dispatch_uid="catalog.live.push_saved_dish")
@receiver(post_delete, sender=MenuItem, dispatch_uid="catalog.live.push_deleted_dish")
def push_saved_dish(sender: Any, instance: MenuItem, **kwargs: Any) -> None:
    """Added, renamed, repriced, made unavailable or removed in admin: every open menu shows it."""
    _push_dishes([instance.pk], _days_ahead(), category_id=instance.category_id)


@receiver(post_save, sender=Category, dispatch_uid="catalog.live.push_saved_category")
def push_saved_category(sender: Any, instance: Category, **kwargs: Any) -> None:
    """Renamed or moved: its heading, and its dishes (they sort under it), on every open menu."""
    _push_dishes(list(instance.items.values_list("pk", flat=True)), _days_ahead(), category_id=instance.pk)


live.register_topic(
    "menu",
    path="ws/menu/<str:day>/",
    authorize=_authorize,
    versions=_versions,
    cards=_cards,
    regions=[REGION],
    kinds=[CATEGORY, MENU_DISH],
)


# --- the owner's stock board: one row card per dish, one cell per day of the horizon ------------------

BOARD_REGION = "stock-rows"
BOARD_GROUP = "stock-board"


@dataclass(frozen=True)
class DishDays:
    """A dish with its stock rows over the days of the horizon (by day; a day without a row is absent)."""

    item: MenuItem
    rows: dict[date, Any]


def render_stock_row(dish: DishDays, days: list[date], *, message: str = "") -> str:
    item, rows = dish.item, dish.rows
    cells = [(day, rows.get(day), selectors.left_of(item, rows.get(day))) for day in days]
    return render_to_string(
        "catalog/_stock_row.html",
        {
            "item": item,
            "cells": cells,
            "card_id": STOCK_ROW.card_id(item.pk),
            "version": _row_version(dish),
            "sort": _dish_sort(item),
            "message": message,
        },
    )


def _board_rows(item_ids: list[int] | None, days: list[date]) -> tuple[list[MenuItem], dict[int, dict[date, Any]]]:
    items = MenuItem.objects.select_related("category")
    if item_ids is not None:
        items = items.filter(pk__in=item_ids)
    found = list(items)
    by_item: dict[int, dict[date, Any]] = {}
    for row in selectors.stock_rows_between(first=days[0], last=days[-1], item_ids=[item.pk for item in found]):
        by_item.setdefault(row.item_id, {})[row.day] = row
    return found, by_item


# Each new day outweighs every change a dish's days can have seen: at midnight the oldest day leaves
# the sum below, and the version must still grow.
DAY_WEIGHT = 10**9


def _row_version(dish: DishDays) -> int:
    """Grows with every change of the dish and of any of its days' stock, and with every new day."""
    days = sum(row.version for row in dish.rows.values())
    return int(timezone.localdate().toordinal() * DAY_WEIGHT + dish.item.version + days)


STOCK_ROW = live.CardKind("dish", "stock-dish-", version_of=_row_version)
STOCK_DATA = live.CardKind("dish", "dish-stock-", version_of=_row_version)


def _per_dish(kind: live.CardKind, region: str, render: Callable[[DishDays, list[date]], str]) -> tuple[Any, Any]:
    """The versions and cards of a topic with one card per dish over the days of the horizon."""

    def versions(group: str) -> live.Versions:
        items, by_item = _board_rows(None, _days_ahead())
        return dict(kind.entry(item.pk, DishDays(item, by_item.get(item.pk, {}))) for item in items)

    def cards(group: str, keys: list[live.CardKey]) -> list[live.Card]:
        days = _days_ahead()
        ids = kind.ids(keys)
        items, by_item = _board_rows(ids, days)
        found = {item.pk: item for item in items}
        out = []
        for pk in ids:
            item = found.get(pk)
            if item is None:
                out.append(kind.gone(pk, region=region))
                continue
            dish = DishDays(item, by_item.get(pk, {}))
            out.append(kind.card(pk, dish, region=region, html=render(dish, days)))
        return out

    return versions, cards


_board_versions, _board_cards = _per_dish(STOCK_ROW, BOARD_REGION, render_stock_row)


def stock_board_cards() -> list[live.Card]:
    return live.snapshot(live.topic("stock-board"), BOARD_GROUP)[1]


def stock_row_card(item_id: int, *, message: str = "") -> str:
    """One dish's row as it is now, for the reply to the owner's edit."""
    days = _days_ahead()
    items, by_item = _board_rows([item_id], days)
    if not items:
        return ""
    return render_stock_row(DishDays(items[0], by_item.get(item_id, {})), days, message=message)


live.register_topic(
    "stock-board",
    path="ws/owner/stock/",
    authorize=lambda viewer, kwargs: BOARD_GROUP if is_owner(viewer.user) else None,
    versions=_board_versions,
    cards=_board_cards,
    regions=[BOARD_REGION],
    kinds=[STOCK_ROW],
)


# --- each dish's stock over the horizon, as data: carts and checkouts check their lines against it ----

STOCK_REGION = "dish-stock"
STOCK_GROUP = "dish-stock"


def render_stock_data(dish: DishDays, days: list[date]) -> str:
    item = dish.item
    left = {f"{day:%Y-%m-%d}": selectors.left_of(item, dish.rows.get(day)) for day in days}
    return render_to_string(
        "catalog/_stock_data.html",
        {
            "item": item,
            "left": json.dumps({day: n for day, n in left.items() if n is not None}, separators=(",", ":")),
            "card_id": STOCK_DATA.card_id(item.pk),
            "version": _row_version(dish),
            "sort": _dish_sort(item),
        },
    )


_stock_versions, _stock_cards = _per_dish(STOCK_DATA, STOCK_REGION, render_stock_data)


def stock_data_cards(item_ids: list[int]) -> list[live.Card]:
    """The stock data of these dishes (a cart's), as a page embeds it before its socket connects."""
    return live.render_cards(live.topic("dish-stock"), STOCK_GROUP, _dishes(item_ids, STOCK_DATA))


live.register_topic(
    "dish-stock",
    path="ws/stock/",
    authorize=lambda viewer, kwargs: STOCK_GROUP,
    versions=_stock_versions,
    cards=_stock_cards,
    regions=[STOCK_REGION],
    kinds=[STOCK_DATA],
)
