from datetime import date

from django.db.models import Prefetch, QuerySet

from catalog.models import Category, DishDay, MenuItem


def menu_categories() -> QuerySet[Category]:
    """Categories that have items, each with its items, in two queries."""
    items = MenuItem.objects.order_by("position", "name")
    return (
        Category.objects.filter(items__isnull=False)
        .distinct()
        .order_by("position", "name")
        .prefetch_related(Prefetch("items", queryset=items))
    )


def menu_item_get(*, item_id: int) -> MenuItem | None:
    return MenuItem.objects.filter(pk=item_id).first()


def portions_left(*, items: list[MenuItem], day: date) -> dict[int, int | None]:
    """Portions of each dish left on ``day`` (None: unlimited), in one query whatever the menu's size."""
    rows = {row.item_id: row for row in DishDay.objects.filter(day=day, item_id__in=[item.pk for item in items])}
    left: dict[int, int | None] = {}
    for item in items:
        row = rows.get(item.pk)
        total = row.total if row is not None else item.daily_portions
        left[item.pk] = None if total is None else max(total - (row.reserved if row is not None else 0), 0)
    return left
