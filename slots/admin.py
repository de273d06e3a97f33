from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils import timezone

from slots import services
from slots.errors import SlotError
from slots.models import DeliverySlot, SlotRule


@admin.register(SlotRule)
class SlotRuleAdmin(admin.ModelAdmin):
    list_display = ["weekday", "start", "end", "capacity", "cutoff_minutes", "active"]
    list_filter = ["weekday", "active"]
    list_editable = ["capacity", "active"]


class DeliverySlotForm(forms.ModelForm):
    class Meta:
        model = DeliverySlot
        fields = ["start", "end", "order_cutoff", "capacity", "closed"]

    def clean(self):
        cleaned = super().clean() or {}
        start = cleaned.get("start")
        slot = self.instance
        if slot.pk and slot.reserved and start and timezone.localdate(start) != timezone.localdate(slot.start):
            self.add_error("start", services.moved_day_message(slot.reserved))
        return cleaned

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity < self.instance.reserved:
            raise forms.ValidationError(
                f"{self.instance.reserved} places are already reserved; capacity cannot be lower."
            )
        return capacity


@admin.register(DeliverySlot)
class DeliverySlotAdmin(admin.ModelAdmin):
    form = DeliverySlotForm
    list_display = ["__str__", "reserved", "capacity", "order_cutoff", "closed", "owner_edited"]
    list_filter = ["closed", "owner_edited", "start"]
    date_hierarchy = "start"
    readonly_fields = ["reserved", "owner_edited", "version"]
    actions = ["close_slots", "reopen_slots"]

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.slot_create(
                start=obj.start, end=obj.end, capacity=obj.capacity, order_cutoff=obj.order_cutoff
            )
            obj.pk = created.pk
            return
        # Capacity and open state go through the services: the capacity check is made again in the
        # UPDATE itself, so an order placed while the form was open cannot be squeezed out.
        with transaction.atomic():
            if "capacity" in form.changed_data:
                services.slot_set_capacity(slot_id=obj.pk, capacity=form.cleaned_data["capacity"])
            if "closed" in form.changed_data:
                services.slot_set_closed(slot_id=obj.pk, closed=form.cleaned_data["closed"])
            times = {f: form.cleaned_data[f] for f in form.changed_data if f in ("start", "end", "order_cutoff")}
            if times:
                services.slot_set_times(slot_id=obj.pk, **times)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SlotError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description="Close selected slots")
    def close_slots(self, request, queryset):
        changed = sum(services.slot_set_closed(slot_id=pk, closed=True) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"Closed {changed} slot(s).")

    @admin.action(description="Reopen selected slots")
    def reopen_slots(self, request, queryset):
        changed = sum(
            services.slot_set_closed(slot_id=pk, closed=False) for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Reopened {changed} slot(s).")
