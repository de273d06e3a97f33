from decimal import Decimal

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def money(value) -> str:
    if value in (None, ""):
        return ""
    return f"{settings.CURRENCY_SYMBOL}{Decimal(value):.2f}"


@register.filter
def slot_state(slot) -> str:
    """ "open", "full" or "closed" for a delivery slot, as of now."""
    from django.utils import timezone

    if not slot.is_open_at(timezone.now()):
        return "closed"
    return "open" if slot.places_left > 0 else "full"
