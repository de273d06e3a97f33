"""The owner's stock page: one row per dish, one cell per day; edits go through the stock service."""

import pytest
from django.test import Client
from django.utils import timezone

from catalog.models import DishDay
from tests.conftest import place_order
from tests.factories import CartLineFactory, MenuItemFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(staff):
    client = Client()
    client.force_login(staff)
    return client


def test_owner_sees_and_sets_a_days_portions_never_below_what_is_ordered(owner, slot):
    dish = MenuItemFactory(name="Beef ragu", daily_portions=6)
    place_order(slot, cart=CartLineFactory(item=dish, quantity=2).cart)
    day = timezone.localdate(slot.start)
    page = owner.get("/owner/stock/").content.decode()
    assert f'id="stock-dish-{dish.pk}"' in page and "2/6" in page
    url = f"/owner/stock/{dish.pk}/{day:%Y-%m-%d}/"
    refused = owner.post(url, {"total": 1}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 400 and "already has 2 portions ordered" in refused.content.decode()
    done = owner.post(url, {"total": 9}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and "2/9" in done.content.decode()
    unlimited = owner.post(url, {"total": ""}, HTTP_HX_REQUEST="true")
    assert unlimited.status_code == 200 and "2/∞" in unlimited.content.decode()
    for bad in ("-3", "lots", "10001"):
        response = owner.post(url, {"total": bad}, HTTP_HX_REQUEST="true")
        assert response.status_code == 400, bad
    assert DishDay.objects.get(item=dish, day=day).total is None
    assert owner.post(f"/owner/stock/{dish.pk}/someday/", {"total": 1}).status_code == 404
    assert owner.post(f"/owner/stock/999999/{day:%Y-%m-%d}/", {"total": 1}).status_code == 404
    far = owner.post(f"/owner/stock/{dish.pk}/2099-01-01/", {"total": 1}, HTTP_HX_REQUEST="true")
    assert far.status_code == 400 and "Please choose a day between" in far.content.decode()


def test_only_the_owner_may_see_or_change_stock(slot):
    dish = MenuItemFactory()
    customer = Client()
    customer.force_login(UserFactory())
    assert customer.get("/owner/stock/").status_code == 403
    day = timezone.localdate(slot.start)
    assert customer.post(f"/owner/stock/{dish.pk}/{day:%Y-%m-%d}/", {"total": 1}).status_code == 403
    assert Client().get("/owner/stock/").status_code == 302
