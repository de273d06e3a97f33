"""The rendered-card cache never serves one group's card to another group: every day's menu has a card
``dish-<pk>`` and their versions can be equal, while what they show differs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.live import menu_cards
from catalog.models import DishDay
from chefshop import live
from tests.conftest import place_order
from tests.factories import CartLineFactory, DeliverySlotFactory, MenuItemFactory

pytestmark = pytest.mark.django_db


def _noon(days: int):
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=days)


def test_one_days_menu_never_shows_another_days_stock():
    # given: a dish of 3 a day, sold out on one day and with 2 left on the next, both rows at one version
    live.card_cache.clear()
    dish = MenuItemFactory(name="Risotto", daily_portions=3)
    monday, tuesday = DeliverySlotFactory(start=_noon(2)), DeliverySlotFactory(start=_noon(3))
    place_order(monday, cart=CartLineFactory(item=dish, quantity=3).cart)
    place_order(tuesday, cart=CartLineFactory(item=dish, quantity=1).cart)
    rows = {row.day: row for row in DishDay.objects.filter(item=dish)}
    days = sorted(rows)
    assert rows[days[0]].version == rows[days[1]].version  # what made the cache collide
    # when: a process renders the first day's menu, then the second's
    first = next(card for card in menu_cards(days[0]) if card.id == f"dish-{dish.pk}")
    second = next(card for card in menu_cards(days[1]) if card.id == f"dish-{dish.pk}")
    # then: each day shows its own stock
    assert "Sold out" in first.html
    assert "Sold out" not in second.html
