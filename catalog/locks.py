"""Every row lock the catalog app takes (DESIGN §2, lock order: menu items FOR SHARE → coupon → dish-day
rows by ascending dish id → slot). Dish-day rows themselves are locked by the conditional UPDATEs of
``catalog/services.py``, always in ascending dish id, after the menu items below."""

from django.db import connection

from catalog.models import MenuItem


def lock_dishes_shared(item_ids: list[int]) -> dict[int, tuple[str, int | None]]:
    """(name, daily portions) of these dishes, read under a share lock, in id order: an owner's change of
    a dish's daily portions waits for this transaction, and this one for it; orders do not wait for each
    other."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, name, daily_portions FROM catalog_menuitem WHERE id = ANY(%s) ORDER BY id FOR SHARE",
            [sorted(item_ids)],
        )
        return {pk: (name, portions) for pk, name, portions in cursor.fetchall()}


def lock_dish(item_id: int) -> MenuItem | None:
    """One dish, locked for an owner's change of its daily portions (first, before its dish-day rows)."""
    return MenuItem.objects.select_for_update().filter(pk=item_id).first()
