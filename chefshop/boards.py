"""Small helpers shared by the owner boards and the driver page."""

import time

from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string


def board_version() -> int:
    """A version for a whole-board fragment: taken before the board's queries, so a later render
    never shows older data than an earlier one that the page may already show."""
    return time.time_ns() // 1000


def board_response(request, *, template: str, context: dict, status: int = 200, fallback: str) -> HttpResponse:
    """htmx gets the fresh fragment (409 when the click was stale); a plain form post goes back to the page."""
    if request.htmx:
        return HttpResponse(render_to_string(template, context, request=request), status=status)
    return redirect(fallback)


def parse_version(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None
