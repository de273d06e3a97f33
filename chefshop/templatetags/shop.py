from typing import Any

from django import template
from django.utils.safestring import mark_safe

from chefshop.money import format_money

register = template.Library()


@register.filter
def money(value: Any) -> str:
    if value in (None, ""):
        return ""
    return format_money(value)


CARD_CSRF = mark_safe(
    '<input type="hidden" name="csrfmiddlewaretoken" value="">'
)  # a constant with nothing from outside in it


@register.simple_tag
def card_csrf() -> str:
    """The one way a card's form carries a CSRF token. Cards are rendered once for every viewer, so
    the field is empty here and the page fills it from its ``csrf-token`` meta tag (``live.js``)."""
    return CARD_CSRF


@register.simple_tag
def live_socket(topic_name: str, **params: Any) -> str:
    """The socket URL of a live topic, from its one declaration: ``{% live_socket "kitchen" %}``,
    ``{% live_socket "order" public_id=order.public_id %}``. An unknown topic or a missing parameter fails
    the render, so a typo never gives a page that silently stops updating."""
    from chefshop.live.topics import socket_url

    return socket_url(topic_name, **params)
