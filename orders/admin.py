from django.contrib import admin, messages

from orders import notifications, services
from orders.errors import OrderError
from orders.models import Cart, CartLine, Notification, Order, OrderEvent, OrderItem


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = readonly_fields = ["name", "unit_price", "quantity"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = ["created_at", "from_status", "to_status", "actor", "note"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "slot", "total", "name", "phone", "placed_at"]
    list_filter = ["status", "slot__start"]
    search_fields = ["public_id", "name", "email", "phone", "address"]
    list_select_related = ["slot"]
    date_hierarchy = "placed_at"
    readonly_fields = [
        "public_id",
        "status",
        "version",
        "slot",
        "user",
        "total",
        "placed_at",
        "updated_at",
        "name",
        "email",
        "phone",
        "address",
        "notes",
    ]
    exclude = ["owner_token", "idempotency_key"]
    inlines = [OrderItemInline, OrderEventInline]
    actions = ["cancel_orders"]

    def has_add_permission(self, request):
        return False  # orders are placed through checkout, which takes the slot place

    def has_delete_permission(self, request, obj=None):
        return False  # history must not change; cancel instead

    @admin.action(description="Cancel selected orders (gives the slot places back)")
    def cancel_orders(self, request, queryset):
        done = 0
        for order in queryset:
            try:
                services.order_cancel(order=order, actor=request.user, by_customer=False)
                done += 1
            except OrderError as exc:
                self.message_user(request, f"{order}: {exc}", messages.WARNING)
        self.message_user(request, f"Cancelled {done} order(s).")


class CartLineInline(admin.TabularInline):
    model = CartLine
    extra = 0
    raw_id_fields = ["item"]


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "updated_at"]
    search_fields = ["user__username", "token"]
    inlines = [CartLineInline]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "order", "kind", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "kind"]
    search_fields = ["recipient", "order__public_id", "subject"]
    list_select_related = ["order"]
    readonly_fields = [
        "order",
        "kind",
        "recipient",
        "subject",
        "body",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Resend selected notifications")
    def resend(self, request, queryset):
        count = notifications.resend(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} notification(s) queued to be sent again.")
