from django.contrib import admin

from deliveries.models import Delivery, DeliveryEvent, Driver


@admin.register(Driver)
class DriverAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "phone", "user__username"]


class DeliveryEventInline(admin.TabularInline):
    model = DeliveryEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "from_status", "to_status", "driver", "actor", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "order", "driver", "status", "slot_start", "updated_at"]
    list_filter = ["status", "driver"]
    search_fields = ["order__public_id", "order__name", "order__address"]
    list_select_related = ["order", "driver"]
    readonly_fields = ["order", "driver", "status", "version", "trip", "failure_reason", "slot_start"]
    inlines = [DeliveryEventInline]

    def has_add_permission(self, request):
        return False  # deliveries are created when the kitchen marks an order prepped

    def has_delete_permission(self, request, obj=None):
        return False
