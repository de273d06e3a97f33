from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

MAX_PORTIONS = 10_000  # a day's portions of one dish; more is a typo


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, editable=False)  # grows with every change: live menus

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            self.version = (self.version or 0) + 1  # open menus show the renamed heading (catalog/live.py)
        super().save(*args, **kwargs)


class MenuItem(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))])
    available = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    daily_portions = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_PORTIONS)],
        help_text="Portions the kitchen cooks per delivery day. Blank: unlimited; 0: none. "
        "A day can have its own number (stock).",
    )
    version = models.PositiveIntegerField(default=1, editable=False)  # grows with every change: live menus

    class Meta:
        ordering = ["category__position", "position", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="menuitem_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            self.version = (self.version or 0) + 1  # open menus show the change (catalog/live.py)
        super().save(*args, **kwargs)


class DishDay(models.Model):
    """One dish on one delivery day: how many portions there are and how many orders have taken.

    ``total`` is the day's number of portions (None: unlimited), copied from the dish's
    ``daily_portions`` unless the owner set this day's own (``overridden``). Portions are counted for
    unlimited dishes too, so limiting a dish later is exact. Taking portions is one conditional
    UPDATE of this row; the database refuses ``reserved > total``.
    """

    item = models.ForeignKey(MenuItem, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    total = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(MAX_PORTIONS)])
    overridden = models.BooleanField(default=False)
    reserved = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["day", "item_id"]
        verbose_name = "dish stock for a day"
        verbose_name_plural = "dish stock by day"
        constraints = [
            models.UniqueConstraint(fields=["item", "day"], name="dishday_one_row_per_dish_and_day"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & (Q(total__isnull=True) | Q(reserved__lte=F("total"))),
                name="dishday_reserved_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} on {self.day}: {self.reserved}/{self.total if self.total is not None else '∞'}"

    @property
    def left(self) -> int | None:
        return None if self.total is None else max(self.total - self.reserved, 0)
