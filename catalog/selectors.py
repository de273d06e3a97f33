from datetime import date

from catalog.models import DishDay, MenuItem


def stock_rows(*, day: date, item_ids: list[int]) -> dict[int, DishDay]:
    """Each dish's stock row for ``day`` (dishes nobody has ordered and with no own number have none). One query."""
    return {row.item_id: row for row in DishDay.objects.filter(day=day, item_id__in=item_ids)}


def left_of(item: MenuItem, row: DishDay | None) -> int | None:
    """Portions of the dish left on the row's day (None: unlimited); without a row, the dish's default."""
    total = row.total if row is not None else item.daily_portions
    return None if total is None else max(total - (row.reserved if row is not None else 0), 0)


def stock_rows_between(*, first: date, last: date, item_ids: list[int]) -> list[DishDay]:
    """The stock rows of these dishes from ``first`` to ``last``. One query."""
    return list(DishDay.objects.filter(day__gte=first, day__lte=last, item_id__in=item_ids))
