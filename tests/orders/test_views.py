import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import CartLine, Order
from orders.shopper import SESSION_KEY
from slots.models import DeliverySlot
from tests.conftest import place_order
from tests.factories import DeliverySlotFactory, MenuItemFactory, UserFactory

pytestmark = pytest.mark.django_db


def _form(slot_obj, **overrides):
    slot = slot_obj
    data = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+44 7700 900123",
        "address": "1 High Street",
        "notes": "Ring twice",
        "slot": slot.pk if slot else "",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


@pytest.fixture
def item(db):
    return MenuItemFactory(name="Soup")


def _add(client, item, quantity=1, **headers):
    return client.post("/cart/add/", {"item": item.pk, "quantity": quantity}, **headers)


def test_menu_shows_items_and_unavailable_ones_cannot_be_added(client, item):
    MenuItemFactory(name="Gone", available=False)
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Soup" in body and "Gone" in body and "Unavailable" in body
    assert 'aria-label="Add Gone to cart"' not in body


def test_add_with_htmx_returns_the_new_count(client, item):
    response = _add(client, item, 2, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="cart-count" hx-swap-oob="true"' in response.content.decode()
    assert ">2</span>" in response.content.decode()


def test_add_unavailable_item_is_a_message_not_an_error(client):
    gone = MenuItemFactory(available=False)
    response = _add(client, gone, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "not available" in response.content.decode()
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("quantity", ["-1", "abc", "100000", "1e9", ""])
def test_bad_quantities_never_500(client, item, quantity):
    response = client.post("/cart/add/", {"item": item.pk, "quantity": quantity})
    assert response.status_code in (200, 302)
    response = client.post("/cart/update/", {"item": item.pk, "quantity": quantity})
    assert response.status_code == 302


def test_cart_update_and_remove(client, item):
    _add(client, item)
    client.post("/cart/update/", {"item": item.pk, "quantity": 4})
    assert CartLine.objects.get().quantity == 4
    assert "Soup" in client.get("/cart/").content.decode()
    client.post("/cart/update/", {"item": item.pk, "quantity": 0})
    assert not CartLine.objects.exists()


def test_checkout_places_order_and_redirects_to_it(client, item, slot):
    _add(client, item, 2)
    response = client.post("/checkout/", _form(slot))
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.public_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "Soup" in page and "Confirmed" in page
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 1


def test_checkout_lists_slots_with_full_and_closed_disabled(client, item):
    open_slot = DeliverySlotFactory(capacity=3, reserved=1)
    full = DeliverySlotFactory(capacity=2, reserved=2)
    past_cutoff = DeliverySlotFactory(order_cutoff=timezone.now() - timedelta(minutes=1))
    _add(client, item)
    body = client.get("/checkout/").content.decode()
    assert "2 places left" in body
    assert f'value="{open_slot.pk}" id="slot-input-{open_slot.pk}" aria' in body
    assert f'value="{full.pk}" id="slot-input-{full.pk}" disabled' in body
    assert f'value="{past_cutoff.pk}" id="slot-input-{past_cutoff.pk}" disabled' in body


def test_full_slot_keeps_cart_and_typing(client, item):
    slot = DeliverySlotFactory(capacity=1, reserved=1)
    _add(client, item, 3)
    response = client.post("/checkout/", _form(slot, name="Grace Hopper"))
    body = response.content.decode()
    assert response.status_code == 422
    assert "just filled up" in body
    assert 'value="Grace Hopper"' in body and "Ring twice" in body
    assert CartLine.objects.get().quantity == 3
    assert not Order.objects.exists()


def test_after_cutoff_is_refused_with_a_message(client, item):
    slot = DeliverySlotFactory(order_cutoff=timezone.now() - timedelta(seconds=5))
    _add(client, item)
    response = client.post("/checkout/", _form(slot))
    assert response.status_code == 422
    assert "has closed" in response.content.decode()


def test_double_submit_makes_one_order(client, item, slot):
    _add(client, item)
    data = _form(slot)
    first = client.post("/checkout/", data)
    second = client.post("/checkout/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"slot": ""},
        {"slot": "999999"},
        {"slot": "abc"},
        {"slot": "-3"},
        {"slot": str(10**30)},
        {"email": "not-an-email"},
        {"name": ""},
        {"address": ""},
        {"phone": "call me"},
        {"name": "x" * 5000},
        {"idempotency_key": "nope"},
        {"notes": "a\x00b"},
    ],
)
def test_invalid_checkout_input_is_a_form_error(client, item, slot, overrides):
    _add(client, item)
    response = client.post("/checkout/", _form(slot, **overrides))
    assert response.status_code == 422
    assert not Order.objects.exists()
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0
    assert CartLine.objects.count() == 1


def test_checkout_with_empty_cart_is_a_form_error(client, slot):
    response = client.post("/checkout/", _form(slot))
    assert response.status_code == 422
    assert "cart is empty" in response.content.decode()


def test_order_page_is_private(client, item, slot):
    _add(client, item)
    client.post("/checkout/", _form(slot))
    order = Order.objects.get()
    url = f"/orders/{order.public_id}/"
    assert client.get(url).status_code == 200
    # another browser, another customer, a made-up id
    from django.test import Client

    stranger = Client()
    assert stranger.get(url).status_code == 404
    stranger.force_login(UserFactory())
    assert stranger.get(url).status_code == 404
    assert stranger.post(f"{url}cancel/").status_code == 404
    assert client.get(f"/orders/{uuid.uuid4()}/").status_code == 404
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    assert staff.get(url).status_code == 200


def test_cancel_from_order_page_gives_place_back(client, item, slot):
    _add(client, item)
    client.post("/checkout/", _form(slot))
    order = Order.objects.get()
    response = client.post(f"/orders/{order.public_id}/cancel/", {"version": order.version}, follow=True)
    assert "Cancelled" in response.content.decode()
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0


def test_cancel_with_stale_version_shows_the_current_state(client, item, slot):
    _add(client, item)
    client.post("/checkout/", _form(slot))
    order = Order.objects.get()
    response = client.post(f"/orders/{order.public_id}/cancel/", {"version": order.version - 1})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this order first" in page and "Cancel order" in page  # the fresh state
    assert Order.objects.get().status == Order.Status.CONFIRMED


def test_cancel_without_a_version_is_refused_not_applied(client, item, slot):
    _add(client, item)
    client.post("/checkout/", _form(slot))
    order = Order.objects.get()
    response = client.post(f"/orders/{order.public_id}/cancel/", {})
    assert response.status_code == 400
    assert "missing the version" in response.content.decode()
    assert Order.objects.get().status == Order.Status.CONFIRMED


def test_login_merges_cart_and_lists_past_orders(client, item, slot):
    # given: an anonymous cart
    user = UserFactory(username="casey")
    _add(client, item, 2)
    # when
    response = client.post("/accounts/login/", {"username": "casey", "password": "pass-word-123"})
    # then
    assert response.status_code == 302
    assert CartLine.objects.get(cart__user=user).quantity == 2
    client.post("/checkout/", _form(slot))
    page = client.get("/orders/").content.decode()
    assert Order.objects.get().user == user
    assert Order.objects.get().get_absolute_url() in page


def test_orders_list_needs_login(client):
    assert client.get("/orders/").status_code == 302


def test_session_keeps_shopper_token_across_requests(client, item):
    _add(client, item)
    assert client.session[SESSION_KEY]


def test_order_page_for_order_placed_by_fixture_is_hidden(client, slot):
    order = place_order(slot)
    assert client.get(order.get_absolute_url()).status_code == 404


def test_checkout_of_a_sold_out_dish_says_which_and_keeps_the_cart(client, slot):
    dish = MenuItemFactory(name="Beef ragù", daily_portions=1)
    _add(client, dish, 2)
    response = client.post("/checkout/", _form(slot))
    assert response.status_code == 422
    assert "only 1 portion of Beef ragù left" in response.content.decode()
    assert "Ada Lovelace" in response.content.decode()  # everything typed is kept
    assert not Order.objects.exists()
    assert CartLine.objects.get().quantity == 2


def test_menu_says_how_many_portions_are_left_for_the_chosen_day(client, db):
    from django.utils import timezone

    from catalog.models import DishDay

    soon = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    slot = DeliverySlotFactory(start=soon, end=soon + timedelta(hours=1), order_cutoff=soon - timedelta(hours=1))

    MenuItemFactory(name="Few", daily_portions=3)
    gone = MenuItemFactory(name="Gone", daily_portions=0)
    MenuItemFactory(name="Plenty", daily_portions=None)
    day = timezone.localdate(slot.start)
    later = DeliverySlotFactory(
        start=soon + timedelta(days=1), end=soon + timedelta(days=1, hours=1), order_cutoff=soon + timedelta(days=1)
    )
    DishDay.objects.create(item=gone, day=timezone.localdate(later.start), total=9, overridden=True)
    body = client.get("/").content.decode()  # the day of the next open slot
    assert 'data-left="3">3 left' in body
    assert "Gone is sold out on" in body and 'aria-label="Add Gone to cart"' not in body
    assert 'aria-label="Add Plenty to cart"' in body and body.count("left</span>") == 1
    assert f'href="?day={day:%Y-%m-%d}" aria-current="date"' in body
    other = client.get(f"/?day={timezone.localdate(later.start):%Y-%m-%d}").content.decode()
    assert 'aria-label="Add Gone to cart"' in other  # that day has its own nine portions
    assert client.get("/?day=not-a-day").status_code == 200


def test_a_price_changed_since_the_page_was_shown_is_said_before_any_order(client, item, slot):
    # given: the checkout page showed the soup at its old price
    item.price = "5.00"
    item.save()
    _add(client, item, 2)
    page = client.get("/checkout/").content.decode()
    assert 'name="seen_total" value="10.00"' in page
    # when: the owner reprices it, and the customer places the order from that page
    item.price = "6.50"
    item.save()
    response = client.post("/checkout/", _form(slot, seen_total="10.00"))
    # then: no order; the page names the new price and total, keeps what was typed, and shows the new total
    body = response.content.decode()
    assert response.status_code == 422 and not Order.objects.exists()
    assert "Soup is now €6.50" in body and "The new total is €13.00" in body
    assert "Ada Lovelace" in body and 'name="seen_total" value="13.00"' in body
    assert CartLine.objects.get().quantity == 2
    # and the cart no longer says the price changed: the customer has been told
    assert "Price changed" not in client.get("/cart/").content.decode()
    # when: placed again at the total now shown, the order copies the new price
    response = client.post("/checkout/", _form(slot, seen_total="13.00"))
    assert response.status_code == 302
    assert Order.objects.get().total == Decimal("13.00")


def test_the_cart_says_a_price_changed_since_the_dish_was_added(client, item):
    item.price = "5.00"
    item.save()
    _add(client, item)
    item.price = "7.25"
    item.save()
    body = client.get("/cart/").content.decode()
    assert "Price changed from €5.00 to €7.25" in body
    assert f'data-item="{item.pk}" data-qty="1" data-price-seen="5.00"' in body


def test_the_cart_checks_its_lines_against_the_day_chosen_on_the_menu(client, db):
    soon = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    DeliverySlotFactory(start=soon, end=soon + timedelta(hours=1), order_cutoff=soon - timedelta(hours=1))
    later = DeliverySlotFactory(
        start=soon + timedelta(days=1), end=soon + timedelta(days=1, hours=1), order_cutoff=soon + timedelta(days=1)
    )
    dish = MenuItemFactory(name="Ragù", daily_portions=2)
    _add(client, dish)
    first, second = timezone.localdate(soon), timezone.localdate(later.start)
    assert f'data-day="{first:%Y-%m-%d}"' in client.get("/cart/").content.decode()  # the next open day
    client.get(f"/?day={second:%Y-%m-%d}")
    body = client.get("/cart/").content.decode()
    assert f'data-day="{second:%Y-%m-%d}"' in body
    # the dish's portions left per day ride along as data for the page's live check
    assert f'id="dish-stock-{dish.pk}"' in body
    assert f"&quot;{second:%Y-%m-%d}&quot;:2" in body
    client.get("/?day=1999-01-01")  # not a day that can take orders: the choice stays
    assert f'data-day="{second:%Y-%m-%d}"' in client.get("/cart/").content.decode()
