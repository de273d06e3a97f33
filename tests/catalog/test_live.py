"""What the catalog pushes: the dish-stock data cards carts and checkouts check against, and headings."""

import json
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from catalog import live as catalog_live
from chefshop import live
from tests.conftest import place_order
from tests.factories import CartLineFactory, CategoryFactory, MenuItemFactory

pytestmark = pytest.mark.django_db


def _stock_card(item_id: int) -> live.Card:
    (card,) = catalog_live.stock_data_cards([item_id])
    return card


def _left(card: live.Card) -> dict:
    raw = re.search(r'data-left="([^"]*)"', card.html or "").group(1)
    return json.loads(raw.replace("&quot;", '"'))


def test_a_dishs_stock_card_says_what_is_left_each_day_and_grows_with_every_order(slot):
    ragu = MenuItemFactory(name="Ragù", price="12.00", daily_portions=4)
    soup = MenuItemFactory(name="Soup")  # unlimited: no day in the data
    before = _stock_card(ragu.pk)
    day = f"{timezone.localdate(slot.start):%Y-%m-%d}"
    assert _left(before)[day] == 4 and len(_left(before)) == 8  # today and the 7 days of the horizon
    assert _left(_stock_card(soup.pk)) == {}
    assert 'data-price="12.00"' in before.html and 'data-available="true"' in before.html

    place_order(slot, cart=CartLineFactory(item=ragu, quantity=3).cart)

    after = _stock_card(ragu.pk)
    assert _left(after)[day] == 1 and after.version > before.version
    versions = live.topic("dish-stock").versions("dish-stock")
    assert versions[f"dish-stock-{ragu.pk}"][0] == after.version


def test_a_new_day_outweighs_the_day_that_left(slot):
    ragu = MenuItemFactory(daily_portions=50)
    for _ in range(3):
        place_order(slot, cart=CartLineFactory(item=ragu, quantity=1).cart)
    today = _stock_card(ragu.pk).version
    later = timezone.localdate(slot.start) + timedelta(days=1)
    with mock.patch("catalog.live.timezone.localdate", return_value=later):
        tomorrow = _stock_card(ragu.pk).version  # the day of those orders has left the horizon
    assert tomorrow > today


def test_a_renamed_category_is_a_newer_heading_on_every_open_menu(slot):
    category = CategoryFactory(name="Mains")
    MenuItemFactory(category=category)
    group = catalog_live.menu_group(timezone.localdate(slot.start))
    (version, _key) = live.topic("menu").versions(group)[f"menu-cat-{category.pk}"]
    category.name = "Main dishes"
    category.save()
    newer, _ = live.topic("menu").versions(group)[f"menu-cat-{category.pk}"]
    (card,) = [
        c for c in live.topic("menu").cards(group, [live.key("cat", category.pk)]) if c.id.startswith("menu-cat-")
    ]
    assert newer > version and card.version == newer and "Main dishes" in card.html
    assert {live.key("cat", category.pk).dumps()} <= live._pending.changes[group]  # pushed after commit
