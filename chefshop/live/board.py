"""The slotted board (the kitchen's and dispatch's, written once) and small helpers shared by the owner
boards and the driver page."""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from chefshop.live.cards import Card, CardKey, CardKind, Versions
from chefshop.live.topics import Authorize, Topic, register_topic

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


def slot_head_version(row: Row) -> int:
    """A slot heading's version: grows with every change of the slot's rows and of the slot itself (its
    times), and turns odd while the slot is open. (It turns even again only if the owner adds or moves a
    slot ahead of it; pages take a heading that opens or closes whatever its version.)"""
    return int(row["versions"] + row["slot_version"]) * 2 + int(row["is_open"])


@dataclass(frozen=True)
class Item:
    """One row of a slotted board as its app hands it over: the card's id, the row its kind's
    ``version_of`` reads and its renderer draws, its slot, and whether it waits under that slot's heading
    (shown in full only while the slot is open) rather than in a region of its own."""

    ident: Any
    row: Any
    slot_id: int
    waiting: bool


@dataclass(frozen=True)
class SlottedBoard:
    """An owner board of one card per row (an order to cook, a delivery to send) under one heading card per
    slot, written once: each app configures one with its selectors and its card, and registers it.

    A slot in progress (or past) shows its waiting cards below its heading; a later one says how many it
    holds and opens them on request (``slot_cards``). The board's versions list each heading followed by
    its open cards, then the cards that do not wait under a slot, then ``extra`` cards (the roster).

    - ``slot_rows(now=, slot_ids=)``: per slot, ``slot_id``, ``start``, ``end``, ``slot_version``, ``count``
      (cards waiting under it) and ``versions`` (a sum of its rows' versions). One query.
    - ``shown(open_slot_ids, now)``: the items shown in full, in board order. A fixed few queries.
    - ``load(ids)``: the items of these ids whatever their state, for rendering their cards.
    - ``in_slot(slot_id)``: the ids of the items waiting in a slot.
    - ``render(item)``: the card's region and html (None once the row has left the board).
    - ``in_progress(now=)``: the slots in progress or next (the slots app's rule).
    """

    name: str
    kind: CardKind
    heading_prefix: str
    region: str
    url_name: str
    noun: str
    slot_rows: Callable[..., list[Row]]
    shown: Callable[[list[int], datetime], list[Item]]
    load: Callable[[list[Any]], list[Item]]
    in_slot: Callable[[int], list[Any]]
    render: Callable[[Item], tuple[str, str | None]]
    in_progress: Callable[..., set[int]]
    # One card of its own beside the slots (dispatch's roster of drivers): its kind, id and renderer.
    extra: CardKind | None = None
    extra_ident: str = ""
    extra_render: Callable[[int], tuple[str, str | None]] | None = None

    @cached_property
    def heading(self) -> CardKind:
        return CardKind("slot", self.heading_prefix, version_of=slot_head_version)

    def kinds(self) -> list[CardKind]:
        return [self.heading, self.kind] + ([self.extra] if self.extra else [])

    def _rows(self, now: datetime, slot_ids: Collection[int] | None = None) -> list[Row]:
        in_progress = self.in_progress(now=now)
        rows = self.slot_rows(now=now, slot_ids=slot_ids)
        for row in rows:
            row["is_open"] = slot_is_open(row, in_progress, now)
        return rows

    def versions(self, group: str) -> Versions:
        """Heading cards first (a page must know a slot is open before it places its cards), each followed
        by its open cards; then the others. A fixed few queries however many cards there are."""
        now = timezone.now()
        rows = [row for row in self._rows(now) if row["count"]]
        open_slots = [row["slot_id"] for row in rows if row["is_open"]]
        under: dict[int, list[tuple[str, tuple[int, CardKey]]]] = {}
        others: Versions = {}
        for item in self.shown(open_slots, now):
            entry = self.kind.entry(item.ident, item.row)
            if item.waiting:
                under.setdefault(item.slot_id, []).append(entry)
            else:
                others[entry[0]] = entry[1]
        versions: Versions = {}
        for row in rows:  # in board order: each heading, then its cards
            card_id, line = self.heading.entry(row["slot_id"], row)
            versions[card_id] = line
            versions.update(under.get(row["slot_id"], []))
        versions.update(others)
        if self.extra is not None:
            card_id, line = self.extra.entry(self.extra_ident, None)
            versions[card_id] = line
        return versions

    def cards(self, group: str, keys: list[CardKey], *, on_request: bool = False) -> list[Card]:
        """The cards of these keys: each row's card (or its removal once it leaves the board), and the heading
        of every slot touched. A fixed handful of queries."""
        items = self.load(self.kind.ids(keys)) if self.kind.ids(keys) else []
        slot_ids = set(self.heading.ids(keys)) | {item.slot_id for item in items}
        now = timezone.now()
        rows = self._rows(now, slot_ids) if slot_ids else []
        cards = [self._heading_card(row) for row in rows]
        if self.extra is not None and self.extra_render is not None and self.extra.ids(keys):
            version = self.extra.version_of(None)  # read once: the card and its html say the same
            region, html = self.extra_render(version)
            cards.append(Card(id=self.extra.card_id(self.extra_ident), version=version, region=region, html=html))
        open_slots = {row["slot_id"] for row in rows if row["is_open"]}
        for item in items:
            region, html = self.render(item)
            later = item.waiting and item.slot_id not in open_slots
            cards.append(self.kind.card(item.ident, item.row, region=region, html=html, on_request=on_request or later))
        return cards

    def slot_cards(self, slot_id: int) -> list[Card]:
        """A later slot's cards, opened on request from its heading (the same frame a push would carry)."""
        keys = [self.kind.key(ident) for ident in self.in_slot(slot_id)] + [self.heading.key(slot_id)]
        return self.cards(self.name, keys, on_request=True)

    def board_cards(self) -> list[Card]:
        """Every card of the board now, as its page renders it."""
        from chefshop.live.cards import snapshot
        from chefshop.live.topics import topic

        return snapshot(topic(self.name), self.name)[1]

    def _heading_card(self, row: Row) -> Card:
        card_id = self.heading.card_id(row["slot_id"])
        if not row["count"]:
            return self.heading.card(row["slot_id"], row, region=self.region, html=None)
        html = render_to_string(
            "owner/_slot_head.html",
            {
                "card_id": card_id,
                "version": slot_head_version(row),
                "sort": f"{row['start']:%Y%m%d%H%M}{row['slot_id']:012d}0",
                "row": row,
                "is_open": row["is_open"],
                "open_url": reverse(self.url_name, args=[row["slot_id"]]),
                "noun": self.noun,
            },
        )
        return self.heading.card(row["slot_id"], row, region=self.region, html=html)

    def register(self, *, path: str, authorize: Authorize, regions: list[str]) -> Topic:
        return register_topic(
            self.name,
            path=path,
            authorize=authorize,
            versions=self.versions,
            cards=self.cards,
            regions=regions,
            kinds=self.kinds(),
        )


def slot_sort(slot: Any, pk: int, *, after: datetime | None = None) -> str:
    """Sort key of a card under its slot's heading: after the heading, then by ``after`` and pk."""
    tail = f"{after:%Y%m%d%H%M%S%f}" if after is not None else ""
    return f"{slot.start:%Y%m%d%H%M}{slot.pk:012d}1{tail}{pk:012d}"
