from django.contrib import admin, messages

from payments import services
from payments.machine import Outcome
from payments.models import PaymentAttempt, ProviderEvent


class RecordAdmin(admin.ModelAdmin):
    """What the provider told the shop: shown, never typed in by hand."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(RecordAdmin):
    list_display = ["order", "status", "amount", "currency", "intent_id", "message", "created_at"]
    list_filter = ["status"]
    search_fields = ["intent_id", "order__public_id", "order__email"]
    actions = ["refund_in_full"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Refund in full (e.g. a failed delivery)")
    def refund_in_full(self, request, queryset):
        outcomes = [services.attempt_refund(attempt_id=attempt.pk) for attempt in queryset]
        done, asked = outcomes.count(Outcome.NOW_REFUNDED), outcomes.count(Outcome.NOW_REFUNDING)
        self.message_user(
            request,
            f"{done} refunded, {asked} asked and pending at the provider; "
            f"{len(outcomes) - done - asked} not captured or failed (see the log).",
            messages.SUCCESS if done + asked == len(outcomes) else messages.WARNING,
        )


@admin.register(ProviderEvent)
class ProviderEventAdmin(RecordAdmin):
    list_display = ["event_id", "type", "outcome", "received_at", "applied_at"]
    list_filter = ["type"]
