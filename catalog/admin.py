from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect

from catalog import services
from catalog.errors import StockError
from catalog.models import Category, DishDay, MenuItem
from chefshop.money import smallest_step


class PriceForm(forms.ModelForm):
    """A dish's price: never below zero (the model's own check) and in whole steps of the currency's
    smallest unit, the one amounts are charged in (``chefshop.money``)."""

    def clean_price(self) -> Decimal | None:
        price: Decimal | None = self.cleaned_data.get("price")
        if price is not None:
            currency = settings.CURRENCY
            step = smallest_step(currency)
            if price % step:
                raise forms.ValidationError(
                    f"{currency} has no smaller unit than {step}; enter the price in steps of {step}."
                )
        return price


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    form = PriceForm
    extra = 0
    fields = ["name", "price", "available", "position"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    inlines = [MenuItemInline]


class MenuItemForm(PriceForm):
    class Meta:
        model = MenuItem
        fields = ["category", "name", "description", "price", "available", "daily_portions", "position"]

    def clean_daily_portions(self) -> int | None:
        """Refused, naming the day, where a day that follows the default already has more ordered."""
        portions = self.cleaned_data.get("daily_portions")
        if self.instance.pk and portions is not None:
            below = services.days_below(item_id=self.instance.pk, portions=portions)
            if below:
                day, reserved = below[0]
                raise forms.ValidationError(
                    f"{services.day_label(day)} already has {reserved} portions ordered; "
                    f"the daily portions cannot be lower than that."
                )
        return portions


@admin.register(MenuItem)
class MenuItemAdmin(admin.ModelAdmin):
    form = MenuItemForm
    list_display = ["name", "category", "price", "available", "daily_portions", "position"]
    list_filter = ["category", "available"]
    list_editable = ["available"]
    search_fields = ["name", "description"]
    list_select_related = ["category"]

    def changeform_view(
        self, request: HttpRequest, object_id: Any = None, form_url: str = "", extra_context: Any = None
    ) -> Any:
        """A stock race the form could not see (an order placed while it was open) is a form error, not a
        500: nothing is saved, and the page says why."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StockError as exc:
            self.message_user(request, f"Nothing was saved: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: MenuItem, form: Any, change: bool) -> None:
        portions = obj.daily_portions
        super().save_model(request, obj, form, change)
        if change and "daily_portions" in form.changed_data:
            # Through the service: the days that follow the default change with it (re-checked under lock).
            services.item_set_daily_portions(item_id=obj.pk, portions=portions)


class DishDayForm(forms.ModelForm):
    class Meta:
        model = DishDay
        fields = ["item", "day", "total"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        item = data.get("item") or getattr(self.instance, "item", None)
        day = data.get("day") or self.instance.day
        if item is not None and day is not None and not self.errors:
            try:
                services.check_total(item_id=item.pk, day=day, total=data.get("total"))
            except StockError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(DishDay)
class DishDayAdmin(admin.ModelAdmin):
    """A day's own number of portions for a dish (leave the total blank for unlimited)."""

    form = DishDayForm
    list_display = ["day", "item", "total", "reserved", "overridden"]
    list_filter = ["day", "overridden"]
    search_fields = ["item__name"]
    list_select_related = ["item"]
    readonly_fields = ["reserved", "overridden"]

    def get_readonly_fields(self, request: HttpRequest, obj: DishDay | None = None) -> list[str]:
        return [*self.readonly_fields, "item", "day"] if obj else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: DishDay, form: Any, change: bool) -> None:
        try:
            saved = services.stock_set_total(item_id=obj.item_id, day=obj.day, total=obj.total)
        except StockError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: DishDay | None = None) -> bool:
        return False  # its reserved portions belong to orders
