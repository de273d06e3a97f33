"""Money in each currency's own minor unit (Stripe's rules), and prices shown the shop's locale's way."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.admin import MenuItemForm
from catalog.models import MenuItem
from chefshop.money import format_money, from_minor, minor_unit_exponent, smallest_step, to_minor
from chefshop.templatetags.shop import money
from payments import services as payment_services
from tests.conftest import place_order
from tests.factories import CartLineFactory, CategoryFactory, MenuItemFactory


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        (Decimal("12.50"), "EUR", 1250),
        (Decimal("1200"), "JPY", 1200),
        (Decimal("1.25"), "KWD", 1250),  # three decimals: thousandths
        (Decimal("0.01"), "usd", 1),
        (Decimal("12"), "XOF", 12),
    ],
)
def test_amounts_go_to_the_provider_in_the_currency_minor_unit_and_back(amount, currency, units):
    assert to_minor(amount, currency) == units
    assert from_minor(units, currency) == amount


def test_a_three_decimal_amount_ends_in_zero_as_stripe_requires():
    # Stripe's own example: 5.124 KWD is sent as 5120 (or 5130), never 5124
    assert to_minor(Decimal("5.124"), "KWD") == 5120
    assert to_minor(Decimal("5.125"), "KWD") == 5130
    assert from_minor(1250, "KWD") == Decimal("1.250")


def test_each_currency_has_its_minor_unit_and_smallest_step():
    assert [minor_unit_exponent(c) for c in ("EUR", "JPY", "jpy", "KWD", "BHD", "IQD")] == [2, 0, 0, 3, 3, 2]
    assert [smallest_step(c) for c in ("EUR", "JPY", "KWD")] == [Decimal("0.01"), Decimal(1), Decimal("0.01")]


@pytest.mark.django_db
def test_a_card_payment_in_a_three_decimal_currency_asks_for_thousandths(slot, settings):
    settings.PAYMENTS = True
    settings.CURRENCY = "KWD"
    dish = MenuItemFactory(price=Decimal("1.25"))
    order = place_order(slot, cart=CartLineFactory(item=dish, quantity=1).cart)
    attempt = payment_services.attempt_start(order=order, card="card_kwd")
    assert (attempt.amount, attempt.currency) == (1250, "KWD")


def test_prices_are_written_in_the_shop_locale_and_currency(settings):
    settings.SHOP_LOCALE, settings.CURRENCY = "en_IE", "EUR"
    assert format_money(Decimal("12.5")) == "€12.50"
    assert money(Decimal("12.5")) == "€12.50" and money("7") == "€7.00" and money(None) == ""
    settings.SHOP_LOCALE = "de_DE"
    assert money(Decimal("1234.5")) == "1.234,50\xa0€"


def test_prices_have_as_many_decimals_as_the_currency_minor_unit():
    yen = format_money(Decimal("1200"), "JPY", "en_IE")
    assert yen.endswith("1,200") and "." not in yen and "¥" in yen
    assert format_money(Decimal("1.25"), "KWD", "en_IE").endswith("1.250")
    # CLDR writes IQD with no decimals, but Stripe charges it in hundredths: the price shows what is charged
    assert format_money(Decimal("1.25"), "IQD", "en_IE").endswith("1.25")


def test_a_currency_written_with_letters_is_spaced_from_the_amount_as_browsers_write_it():
    # CLDR's currency spacing, as the pages' Intl.NumberFormat applies it to live totals
    assert format_money(Decimal("12.5"), "CHF", "en_IE") == "CHF\xa012.50"
    assert format_money(Decimal("-1.25"), "KWD", "en_IE") == "-KWD\xa01.250"
    assert format_money(Decimal("12.5"), "EUR", "en_IE") == "€12.50"


def _item_form(**changes):
    data = {"category": CategoryFactory().pk, "name": "Ramen", "description": "", "price": "12.50"}
    data.update({"available": "on", "position": "0", "daily_portions": ""}, **changes)
    return MenuItemForm(data=data)


@pytest.mark.django_db
def test_admin_refuses_a_price_finer_than_the_currency_unit(settings):
    settings.CURRENCY = "JPY"
    form = _item_form(price="12.50")
    assert not form.is_valid()
    assert form.errors["price"] == ["JPY has no smaller unit than 1; enter the price in steps of 1."]
    assert _item_form(price="1200").is_valid()
    settings.CURRENCY = "EUR"
    assert _item_form(price="12.50").is_valid()


@pytest.mark.django_db
def test_admin_refuses_a_negative_price(settings):
    form = _item_form(price="-1.00")
    assert not form.is_valid() and "price" in form.errors


@pytest.mark.django_db
def test_the_category_page_refuses_a_dish_price_finer_than_the_currency_unit(client, staff, settings):
    settings.CURRENCY = "JPY"
    client.force_login(staff)
    category = CategoryFactory(name="Noodles")
    data = {
        "name": "Noodles",
        "position": "0",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-name": "Ramen",
        "items-0-price": "12.50",
        "items-0-available": "on",
        "items-0-position": "0",
    }
    response = client.post(reverse("admin:catalog_category_change", args=[category.pk]), data)
    assert response.status_code == 200 and "JPY has no smaller unit than 1" in response.content.decode()
    assert not MenuItem.objects.filter(name="Ramen").exists()
