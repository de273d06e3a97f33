"""The checkout's slot picker groups its slots by delivery day."""

from datetime import timedelta

import pytest
from django.utils import timezone

from slots.live import picker_cards
from tests.factories import DeliverySlotFactory

pytestmark = pytest.mark.django_db


def test_picker_has_a_heading_card_per_day_before_that_days_slots():
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
    first = DeliverySlotFactory(start=start + timedelta(hours=12), end=start + timedelta(hours=13))
    second = DeliverySlotFactory(start=start + timedelta(hours=18), end=start + timedelta(hours=19))
    third = DeliverySlotFactory(start=start + timedelta(days=1, hours=12), end=start + timedelta(days=1, hours=13))
    cards = sorted(picker_cards(), key=lambda card: card.html.split('data-sort="')[1].split('"')[0])
    day_one, day_two = (start.date(), (start + timedelta(days=1)).date())
    assert [card.id for card in cards] == [
        f"slot-day-{day_one:%Y-%m-%d}",
        f"slot-{first.pk}",
        f"slot-{second.pk}",
        f"slot-day-{day_two:%Y-%m-%d}",
        f"slot-{third.pk}",
    ]
    assert f"<h3>{start:%A} {start.day} {start:%B}</h3>" in cards[0].html
