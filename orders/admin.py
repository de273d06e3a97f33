from django.contrib import admin, messages

from chefshop.errors import DomainError
from chefshop.statemachine import Actor
from orders import notifications, services, tasks
from orders.machine import ORDER_MACHINE
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
    fields = readonly_fields = ("name", "unit_price", "quantity")


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")


class PaymentTroubleFilter(admin.SimpleListFilter):
    """Orders whose card payment needs the owner: a capture that failed, a refund the shop gave up on."""

    title = "payment trouble"
    parameter_name = "payment_trouble"
    NOTES = {"payment": "Payment problem", "refund": "Refund problem"}

    def lookups(self, request, model_admin):
        return [("payment", "Payment problem"), ("refund", "Refund problem")]

    def queryset(self, request, queryset):
        note = self.NOTES.get(self.value() or "")
        return queryset.filter(payment_note__startswith=note) if note else queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "slot", "total", "name", "phone", "placed_at"]
    list_filter = ["status", PaymentTroubleFilter, "slot__start"]
    search_fields = ["public_id", "name", "email", "phone", "address"]
    list_select_related = ["slot"]
    date_hierarchy = "placed_at"
    exclude = ["owner_token", "idempotency_key"]
    inlines = [OrderItemInline, OrderEventInline]
    actions = ["cancel_orders"]

    def get_readonly_fields(self, request, obj=None):
        """Everything: an order changes only through its services (status, version, timeline, pushes, the
        payment's fields), which admin reaches through its actions, never by saving the row."""
        return [field.name for field in Order._meta.fields if field.name not in self.exclude]

    def has_add_permission(self, request):
        return False  # orders are placed through checkout, which takes the slot place

    def has_delete_permission(self, request, obj=None):
        return False  # history must not change; cancel instead

    def save_model(self, request, obj, form, change):
        pass  # nothing in the form is editable; a crafted POST must not write the row either

    @admin.action(description=ORDER_MACHINE.step("shop_cancel").button)
    def cancel_orders(self, request, queryset):
        done = 0
        for order in queryset:
            try:
                services.order_transition(
                    order=order, step="shop_cancel", version=order.version, by=Actor.OWNER, actor=request.user
                )
                done += 1
            except DomainError as exc:
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
        ids = list(queryset.values_list("pk", flat=True))
        count = notifications.resend(ids)
        tasks.send_later(ids)
        self.message_user(request, f"{count} notification(s) queued to be sent again.")
