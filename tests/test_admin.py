import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from catalog.models import Category, DishDay, MenuItem
from chefshop.schedules import ensure_schedules
from deliveries.models import Delivery, Driver
from orders.models import Cart, Notification, Order
from slots.models import DeliverySlot, SlotRule
from tests.conftest import place_order
from tests.factories import DeliverySlotFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    "model",
    [Category, MenuItem, DishDay, SlotRule, DeliverySlot, Order, Cart, Driver, Delivery, Notification, PeriodicTask],
)
def test_every_changelist_and_form_renders(admin_client, slot, model):
    from deliveries.services import delivery_create_for_order

    order = place_order(slot)
    delivery_create_for_order(order_id=order.pk)
    Driver.objects.create(user=UserFactory(), name="D")
    ensure_schedules()
    meta = model._meta
    assert admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        assert admin_client.get(url).status_code == 200


def _slot_form(slot, **changes):
    data = {
        "start_0": slot.start.strftime("%Y-%m-%d"),
        "start_1": slot.start.strftime("%H:%M:%S"),
        "end_0": slot.end.strftime("%Y-%m-%d"),
        "end_1": slot.end.strftime("%H:%M:%S"),
        "order_cutoff_0": slot.order_cutoff.strftime("%Y-%m-%d"),
        "order_cutoff_1": slot.order_cutoff.strftime("%H:%M:%S"),
        "capacity": slot.capacity,
    }
    data.update(changes)
    return data


def test_admin_capacity_cannot_go_below_reserved(admin_client):
    slot = DeliverySlotFactory(capacity=5, reserved=3)
    url = reverse("admin:slots_deliveryslot_change", args=[slot.pk])
    response = admin_client.post(url, _slot_form(slot, capacity=2))
    assert response.status_code == 200
    assert "already reserved" in response.content.decode()
    response = admin_client.post(url, _slot_form(slot, capacity=8))
    assert response.status_code == 302
    slot.refresh_from_db()
    assert (slot.capacity, slot.owner_edited) == (8, True)


def test_admin_close_and_reopen_actions(admin_client, slot):
    url = reverse("admin:slots_deliveryslot_changelist")
    admin_client.post(url, {"action": "close_slots", "_selected_action": [slot.pk]})
    assert DeliverySlot.objects.get(pk=slot.pk).closed
    admin_client.post(url, {"action": "reopen_slots", "_selected_action": [slot.pk]})
    assert not DeliverySlot.objects.get(pk=slot.pk).closed


def test_admin_cancel_action_returns_place(admin_client, slot):
    order = place_order(slot)
    admin_client.post(
        reverse("admin:orders_order_changelist"), {"action": "cancel_orders", "_selected_action": [order.pk]}
    )
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED
    assert DeliverySlot.objects.get(pk=slot.pk).reserved == 0


def test_admin_adds_a_slot_through_the_service(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.localtime() + timedelta(days=2)
    slot = DeliverySlot(
        start=start, end=start + timedelta(hours=1), order_cutoff=start - timedelta(hours=1), capacity=4
    )
    response = admin_client.post(reverse("admin:slots_deliveryslot_add"), _slot_form(slot))
    assert response.status_code == 302
    created = DeliverySlot.objects.get()
    assert (created.capacity, created.owner_edited) == (4, True)


def test_admin_resend_action(admin_client, slot, monkeypatch, django_capture_on_commit_callbacks):
    from orders import tasks

    order = place_order(slot)
    ids = sorted(order.notifications.values_list("pk", flat=True))
    order.notifications.update(state="sent")
    queued = []
    monkeypatch.setattr(tasks.send_notification, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:orders_notification_changelist"), {"action": "resend", "_selected_action": ids}
        )
    assert Notification.objects.filter(state="pending").count() == 2
    assert sorted(queued) == ids


def test_admin_daily_portions_cannot_fall_below_a_days_orders(admin_client, slot):
    from catalog.models import DishDay
    from tests.factories import CartLineFactory, MenuItemFactory

    item = MenuItemFactory(daily_portions=10)
    place_order(slot, cart=CartLineFactory(item=item, quantity=4).cart)
    url = reverse("admin:catalog_menuitem_change", args=[item.pk])
    form = {
        "category": item.category_id,
        "name": item.name,
        "description": item.description,
        "price": "9.50",
        "available": "on",
        "position": 0,
    }
    refused = admin_client.post(url, {**form, "daily_portions": 3})
    assert refused.status_code == 200 and "already has 4 portions ordered" in refused.content.decode()
    assert admin_client.post(url, {**form, "daily_portions": 6}).status_code == 302
    assert DishDay.objects.get(item=item).total == 6  # the day follows its dish's new default at once
    absurd = admin_client.post(url, {**form, "daily_portions": -2})
    assert absurd.status_code == 200 and DishDay.objects.get(item=item).total == 6


def test_the_order_form_cannot_write_what_services_own(admin_client, slot):
    # given: a placed order
    order = place_order(slot)
    before = Order.objects.filter(pk=order.pk).values().get()
    url = reverse("admin:orders_order_change", args=[order.pk])
    page = admin_client.get(url).content.decode()
    for field in ("pays_by_card", "hold_until", "payment_note", "confirmed_at", "undo_until", "stock_day", "status"):
        assert f'name="{field}"' not in page, f"{field} is editable in admin"
    # when: a crafted POST sets them anyway
    admin_client.post(
        url,
        {
            "pays_by_card": "on",
            "payment_note": "Paid (not really)",
            "status": "delivered",
            "confirmed_at_0": "2026-01-01",
            "confirmed_at_1": "10:00:00",
            "hold_until_0": "2026-01-01",
            "hold_until_1": "10:00:00",
        },
    )
    # then: the row is as the services left it, version included
    assert Order.objects.filter(pk=order.pk).values().get() == before


def test_a_stock_race_in_the_dish_form_is_an_error_message_not_a_500(admin_client, slot, monkeypatch):
    from catalog.admin import MenuItemForm
    from tests.factories import CartLineFactory, MenuItemFactory

    # given: a dish of 5 a day with 3 portions ordered for one day
    dish = MenuItemFactory(daily_portions=5)
    place_order(slot, cart=CartLineFactory(item=dish, quantity=3).cart)
    # ... and an owner whose form was checked before those orders came in
    monkeypatch.setattr(MenuItemForm, "clean_daily_portions", lambda form: form.cleaned_data.get("daily_portions"))
    url = reverse("admin:catalog_menuitem_change", args=[dish.pk])
    form = {
        "category": dish.category_id,
        "name": dish.name,
        "description": dish.description,
        "price": str(dish.price),
        "available": "on",
        "daily_portions": 2,
        "position": dish.position,
    }
    # when: the form is saved, and the service refuses under its lock
    response = admin_client.post(url, form, follow=True)
    # then: a message, nothing saved
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert MenuItem.objects.get(pk=dish.pk).daily_portions == 5
