"""Small helpers shared by the owner boards and the driver page."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone

from chefshop.live.cards import Card

Row = dict[str, Any]


def card_response(request: HttpRequest, *, html: str, status: int = 200, fallback: str) -> HttpResponse:
    """htmx gets the card as it is now (409 when the click was stale; empty when the card left the
    board); a plain form post goes back to the page."""
    if getattr(request, "htmx", False):  # set by django-htmx's middleware
        return HttpResponse(html, status=status)
    return redirect(fallback)


def start_of_today(now: datetime | None = None) -> datetime:
    """Midnight of today, in the shop's time zone: the boards show today's slots and later ones."""
    return timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)


def parse_version(raw: Any) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


def parse_day(raw: Any, *, allowed: list[date]) -> date | None:
    """A ``YYYY-MM-DD`` from a query string, if it is one of ``allowed``."""
    try:
        day = date.fromisoformat(str(raw))
    except ValueError:
        return None
    return day if day in allowed else None


def slot_is_open(row: Row, in_progress: set[int], now: datetime) -> bool:
    """A board shows a slot's cards in full while it is in progress or next, or already past."""
    return bool(row["end"] <= now or row["slot_id"] in in_progress)


def slot_head_version(row: Row, is_open: bool) -> int:
    """Grows with every change of the slot's rows and of the slot itself (its times), and turns odd
    while the slot is open."""
    return int(row["versions"] + row["slot_version"]) * 2 + int(is_open)


def slot_head_card(*, prefix: str, region: str, row: Row, is_open: bool, open_url: str, noun: str) -> Card:
    """The heading card of one slot on a board: its window and how many cards it holds. A slot in
    progress shows its cards below it; a later one says how many and opens them on request.

    ``row`` has ``slot_id``, ``start``, ``end``, ``slot_version``, ``count`` and ``versions`` (a sum of
    its rows' versions that grows with every change of any of them); the card's version adds whether it is open, which
    turns on as time goes by. (It turns off only if the owner adds or moves a slot ahead of it; that
    lowers the version by one, and pages take a heading that opens or closes whatever its version.)
    """
    card_id = f"{prefix}{row['slot_id']}"
    version = slot_head_version(row, is_open)
    if not row["count"]:
        return Card(id=card_id, version=version, region=region, html=None)
    html = render_to_string(
        "owner/_slot_head.html",
        {
            "card_id": card_id,
            "version": version,
            "sort": f"{row['start']:%Y%m%d%H%M}{row['slot_id']:012d}0",
            "row": row,
            "is_open": is_open,
            "open_url": open_url,
            "noun": noun,
        },
    )
    return Card(id=card_id, version=version, region=region, html=html)


def slot_head_cards(
    rows: list[Row], *, prefix: str, region: str, url_name: str, noun: str, in_progress: set[int], now: datetime
) -> list[Card]:
    """The heading cards of these slots on one board; ``url_name`` opens a later slot's cards."""
    from django.urls import reverse

    return [
        slot_head_card(
            prefix=prefix,
            region=region,
            row=row,
            is_open=slot_is_open(row, in_progress, now),
            open_url=reverse(url_name, args=[row["slot_id"]]),
            noun=noun,
        )
        for row in rows
    ]


def slot_sort(slot: Any, pk: int, *, after: datetime | None = None) -> str:
    """Sort key of a card under its slot's heading: after the heading, then by ``after`` and pk."""
    tail = f"{after:%Y%m%d%H%M%S%f}" if after is not None else ""
    return f"{slot.start:%Y%m%d%H%M}{slot.pk:012d}1{tail}{pk:012d}"
