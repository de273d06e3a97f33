from django.db.models import Prefetch, QuerySet

from catalog.models import Category, MenuItem


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
