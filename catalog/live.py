"""What the catalog pushes: the menu of one delivery day, one card per dish (with its portions left
that day) under one heading card per category. A change of stock or of a dish reaches open menus."""

import json
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


def _dishes(item_ids: Any) -> list[live.CardKey]:
    return [live.key("dish", pk) for pk in item_ids]


def menu_group(day: date) -> str:
    return f"menu.{day:%Y-%m-%d}"


def _day(group: str) -> date:
    return date.fromisoformat(group.split(".", 1)[1])


def _days_ahead() -> list[date]:
    today = timezone.localdate()
    return [today + timedelta(days=n) for n in range(settings.SLOT_HORIZON_DAYS + 1)]


@dataclass(frozen=True)
class MenuDish:
    """A dish on one day's menu with its portions left (None: unlimited)."""

    item: MenuItem
    left: int | None
    day: date

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


def render_dish(dish: MenuDish, version: int) -> str:
    return render_to_string(
        "catalog/_dish.html", {"dish": dish, "item": dish.item, "version": version, "sort": _dish_sort(dish.item)}
    )


def _versions(group: str) -> live.Versions:
    day = _day(group)
    items = list(MenuItem.objects.select_related("category"))
    rows = selectors.stock_rows(day=day, item_ids=[item.pk for item in items])
    found: live.Versions = {}
    for item in sorted(items, key=_dish_sort):
        found.setdefault(f"menu-cat-{item.category_id}", (item.category.version, live.key("cat", item.category_id)))
        row = rows.get(item.pk)
        found[f"dish-{item.pk}"] = (item.version + (row.version if row else 0), live.key("dish", item.pk))
    return found


def _cards(group: str, keys: list[live.CardKey]) -> list[live.Card]:
    day = _day(group)
    category_ids = set(live.ids_of(keys, "cat"))
    item_ids = live.ids_of(keys, "dish")
    items = {item.pk: item for item in MenuItem.objects.select_related("category").filter(pk__in=item_ids)}
    rows = selectors.stock_rows(day=day, item_ids=list(items))
    categories = {item.category_id: item.category for item in items.values() if item.category_id in category_ids}
    if category_ids - set(categories):  # a heading pushed on its own
        categories.update(Category.objects.filter(pk__in=category_ids - set(categories)).in_bulk())
    out = []
    for category in categories.values():
        head = render_to_string(
            "catalog/_category_head.html", {"category": category, "sort": f"{_category_sort(category)}0"}
        )
        out.append(live.Card(id=f"menu-cat-{category.pk}", version=category.version, region=REGION, html=head))
    for pk in item_ids:
        item = items.get(pk)
        if item is None:  # removed from the menu
            out.append(live.Card(id=f"dish-{pk}", version=live.GONE_FOR_GOOD, region=REGION, html=None))
            continue
        row = rows.get(pk)
        version = item.version + (row.version if row else 0)
        html = render_dish(MenuDish(item, selectors.left_of(item, row), day), version)
        out.append(live.Card(id=f"dish-{pk}", version=version, region=REGION, html=html))
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


@receiver(stock_changed, dispatch_uid="catalog.live.push_stock")
def push_stock(sender: Any, item_ids: list[int], day: date, **kwargs: Any) -> None:
    live.notify(menu_group(day), *_dishes(item_ids))
    live.notify(BOARD_GROUP, *_dishes(item_ids))
    live.notify(STOCK_GROUP, *_dishes(item_ids))


@receiver(dish_changed, dispatch_uid="catalog.live.push_dish")
def push_dish(sender: Any, item_ids: list[int], **kwargs: Any) -> None:
    for day in _days_ahead():
        live.notify(menu_group(day), *_dishes(item_ids))
    live.notify(BOARD_GROUP, *_dishes(item_ids))
    live.notify(STOCK_GROUP, *_dishes(item_ids))


@receiver(post_save, sender=MenuItem, dispatch_uid="catalog.live.push_saved_dish")
@receiver(post_delete, sender=MenuItem, dispatch_uid="catalog.live.push_deleted_dish")
def push_saved_dish(sender: Any, instance: MenuItem, **kwargs: Any) -> None:
    """Added, renamed, repriced, made unavailable or removed in admin: every open menu shows it."""
    for day in _days_ahead():
        live.notify(menu_group(day), live.key("dish", instance.pk), live.key("cat", instance.category_id))
    live.notify(BOARD_GROUP, live.key("dish", instance.pk))
    live.notify(STOCK_GROUP, live.key("dish", instance.pk))


@receiver(post_save, sender=Category, dispatch_uid="catalog.live.push_saved_category")
def push_saved_category(sender: Any, instance: Category, **kwargs: Any) -> None:
    """Renamed or moved: its heading, and its dishes (they sort under it), on every open menu."""
    item_ids = list(instance.items.values_list("pk", flat=True))
    for day in _days_ahead():
        live.notify(menu_group(day), live.key("cat", instance.pk), *_dishes(item_ids))
    if item_ids:
        live.notify(BOARD_GROUP, *_dishes(item_ids))
        live.notify(STOCK_GROUP, *_dishes(item_ids))


live.register_topic(
    "menu", path="ws/menu/<str:day>/", authorize=_authorize, versions=_versions, cards=_cards, regions=[REGION]
)


# --- the owner's stock board: one row card per dish, one cell per day of the horizon ------------------

BOARD_REGION = "stock-rows"
BOARD_GROUP = "stock-board"


def render_stock_row(
    item: MenuItem, rows: dict[date, Any], days: list[date], *, version: int, message: str = ""
) -> str:
    cells = [(day, rows.get(day), selectors.left_of(item, rows.get(day))) for day in days]
    return render_to_string(
        "catalog/_stock_row.html",
        {"item": item, "cells": cells, "version": version, "sort": _dish_sort(item), "message": message},
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


def _row_version(item: MenuItem, rows: dict[date, Any]) -> int:
    """Grows with every change of the dish and of any of its days' stock, and with every new day."""
    return timezone.localdate().toordinal() * DAY_WEIGHT + item.version + sum(row.version for row in rows.values())


def _per_dish(prefix: str, region: str, render: Any) -> tuple[Any, Any]:
    """The versions and cards of a topic with one card per dish over the days of the horizon."""

    def versions(group: str) -> live.Versions:
        items, by_item = _board_rows(None, _days_ahead())
        return {
            f"{prefix}{item.pk}": (_row_version(item, by_item.get(item.pk, {})), live.key("dish", item.pk))
            for item in items
        }

    def cards(group: str, keys: list[live.CardKey]) -> list[live.Card]:
        days = _days_ahead()
        ids = live.ids_of(keys, "dish")
        items, by_item = _board_rows(ids, days)
        found = {item.pk: item for item in items}
        out = []
        for pk in ids:
            item = found.get(pk)
            if item is None:
                out.append(live.Card(id=f"{prefix}{pk}", version=live.GONE_FOR_GOOD, region=region, html=None))
                continue
            rows = by_item.get(pk, {})
            version = _row_version(item, rows)
            out.append(
                live.Card(
                    id=f"{prefix}{pk}", version=version, region=region, html=render(item, rows, days, version=version)
                )
            )
        return out

    return versions, cards


_board_versions, _board_cards = _per_dish("stock-dish-", BOARD_REGION, render_stock_row)


def stock_board_cards() -> list[live.Card]:
    return live.snapshot(live.topic("stock-board"), BOARD_GROUP)[1]


def stock_row_card(item_id: int, *, message: str = "") -> str:
    """One dish's row as it is now, for the reply to the owner's edit."""
    days = _days_ahead()
    items, by_item = _board_rows([item_id], days)
    if not items:
        return ""
    rows = by_item.get(item_id, {})
    return render_stock_row(items[0], rows, days, version=_row_version(items[0], rows), message=message)


live.register_topic(
    "stock-board",
    path="ws/owner/stock/",
    authorize=lambda viewer, kwargs: BOARD_GROUP if is_owner(viewer.user) else None,
    versions=_board_versions,
    cards=_board_cards,
    regions=[BOARD_REGION],
)


# --- each dish's stock over the horizon, as data: carts and checkouts check their lines against it ----

STOCK_REGION = "dish-stock"
STOCK_GROUP = "dish-stock"


def render_stock_data(item: MenuItem, rows: dict[date, Any], days: list[date], *, version: int) -> str:
    left = {f"{day:%Y-%m-%d}": selectors.left_of(item, rows.get(day)) for day in days}
    return render_to_string(
        "catalog/_stock_data.html",
        {
            "item": item,
            "left": json.dumps({day: n for day, n in left.items() if n is not None}, separators=(",", ":")),
            "version": version,
            "sort": _dish_sort(item),
        },
    )


_stock_versions, _stock_cards = _per_dish("dish-stock-", STOCK_REGION, render_stock_data)


def stock_data_cards(item_ids: list[int]) -> list[live.Card]:
    """The stock data of these dishes (a cart's), as a page embeds it before its socket connects."""
    return live.render_cards(live.topic("dish-stock"), STOCK_GROUP, _dishes(item_ids))


live.register_topic(
    "dish-stock",
    path="ws/stock/",
    authorize=lambda viewer, kwargs: STOCK_GROUP,
    versions=_stock_versions,
    cards=_stock_cards,
    regions=[STOCK_REGION],
)
