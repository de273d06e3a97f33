from django.contrib import admin

from deliveries.models import Driver


@admin.register(Driver)
class DriverAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "phone", "user__username"]
