"""Cards: one row's fragment on a page, the rendered-card cache, a group's snapshot and the frame that
carries cards to a page."""

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chefshop.live.topics import Topic

logger = logging.getLogger(__name__)

# The version of a removal whose row was deleted: newer than anything a page can show.
GONE_FOR_GOOD = 2**53 - 1


@dataclass(frozen=True, order=True)
class CardKey:
    """What changed, as a topic's ``cards`` receives it: a kind of card ("order", "slot", "dish", …) and
    the row's id. On the wire it is ``kind:id`` (``dumps`` / ``loads``); only this package reads that
    form, so no app ever slices or splits a key."""

    kind: str
    id: str

    def __post_init__(self) -> None:
        if not self.kind or ":" in self.kind or not self.id:
            raise ValueError(f"Not a card key: {self.kind!r}, {self.id!r}")

    def dumps(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def loads(cls, raw: str) -> "CardKey":
        kind, _, ident = str(raw).partition(":")
        return cls(kind, ident)


@dataclass(frozen=True)
class CardKind:
    """One kind of card, declared once in its app's ``live.py``: the kind its keys carry, the prefix of its
    card ids on the page, how a key's id reads back (``convert``), and its one version rule.

    ``version_of(row)`` is the card's version for the row it shows (whatever the app renders the card
    from: an order, a dish with its day's stock, a slot heading's summary). Every topic that shows the
    kind, in its versions and in its cards, asks this one function, and a property test per kind
    (tests/live/test_versions.py) changes each shown column through the services and checks it grows.
    """

    name: str
    prefix: str
    version_of: Callable[[Any], int]
    convert: Callable[[str], Any] = int

    def __post_init__(self) -> None:
        if not self.name or ":" in self.name or not self.prefix:
            raise ValueError(f"Card kind {self.name!r}: a name without ':' and a card-id prefix.")

    def key(self, ident: Any) -> "CardKey":
        return CardKey(self.name, str(ident))

    def card_id(self, ident: Any) -> str:
        return f"{self.prefix}{ident}"

    def ids(self, keys: Iterable["CardKey"]) -> list[Any]:
        """The ids of this kind's keys among ``keys``, converted, in key order."""
        return ids_of(keys, self.name, self.convert)

    def entry(self, ident: Any, row: Any) -> tuple[str, tuple[int, "CardKey"]]:
        """One line of a topic's versions: the card id, and the row's version with its key."""
        return self.card_id(ident), (self.version_of(row), self.key(ident))

    def card(self, ident: Any, row: Any, *, region: str, html: str | None, on_request: bool = False) -> "Card":
        return Card(
            id=self.card_id(ident), version=self.version_of(row), region=region, html=html, on_request=on_request
        )

    def gone(self, ident: Any, *, region: str, version: int = GONE_FOR_GOOD) -> "Card":
        """The removal of a card whose row is no longer shown (deleted: newer than anything shown)."""
        return Card(id=self.card_id(ident), version=version, region=region, html=None)


def key(kind: str, ident: Any) -> CardKey:
    """The key of one row's card: ``key("order", 12)``."""
    return CardKey(kind, str(ident))


def ids_of(keys: Iterable[CardKey], kind: str, convert: Any = int) -> list[Any]:
    """The ids of the keys of one kind, converted (``int`` unless told otherwise), in key order."""
    return [convert(found.id) for found in sorted(keys) if found.kind == kind]


@dataclass(frozen=True)
class Card:
    """One row's fragment on a page: ``html`` is None when the row has left the region.

    ``on_request`` marks a card that pages show only once someone opened its group (the orders of a
    later slot): it is pushed when it changes, but it is no part of the snapshot or the digest.
    """

    id: str
    version: int
    region: str
    html: str | None
    on_request: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "v": self.version, "region": self.region, "html": self.html}


# A group's card versions: card id → (version, key). The key is what the topic's ``cards`` renders.
Versions = dict[str, tuple[int, CardKey]]


class CardCache:
    """Rendered cards by (scope, id, version): a card whose version did not change is never rendered again.

    Safe because a card's version changes whenever anything it shows changes (that is the rule every
    topic keeps). The scope is the topic and group the card was rendered for: one card id can show
    different things in different groups at the same version (every day's menu has ``dish-<pk>``, each
    with its own day's stock), so a card is only ever served to the group it was rendered for. Bounded,
    least recently used first out.
    """

    def __init__(self, size: int = 10_000):
        self.size = size
        self._cards: OrderedDict[tuple[str, str, int], Card] = OrderedDict()
        self._lock = threading.Lock()  # request threads and the hub's thread share it

    def get(self, scope: str, card_id: str, version: int) -> Card | None:
        with self._lock:
            card = self._cards.get((scope, card_id, version))
            if card is not None:
                self._cards.move_to_end((scope, card_id, version))
            return card

    def put(self, scope: str, card: Card) -> None:
        if card.html is None:
            return
        key = (scope, card.id, card.version)
        with self._lock:
            self._cards[key] = card
            self._cards.move_to_end(key)
            while len(self._cards) > self.size:
                self._cards.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._cards.clear()


def cache_scope(topic: "Topic", group: str) -> str:
    return f"{topic.name}|{group}"


card_cache = CardCache()


def render_cards(topic: "Topic", group: str, keys: Iterable[CardKey]) -> list[Card]:
    """The topic's cards for these keys as they are now (removals included), remembered for later."""
    keys, strays = topic.declared(sorted(set(keys)))
    if strays:
        logger.error("The %s topic shows no cards of these keys: %s", topic.name, [k.dumps() for k in strays])
    if not keys:
        return []
    cards = topic.cards(group, keys)
    scope = cache_scope(topic, group)
    for card in cards:
        card_cache.put(scope, card)
    return cards


def snapshot(topic: "Topic", group: str, versions: Versions | None = None) -> tuple[Versions, list[Card]]:
    """Every card of the group's regions now: the versions in one query, unchanged cards from the cache,
    the others rendered in one go."""
    if versions is None:
        versions = topic.versions(group)
    cached: dict[str, Card] = {}
    missing: list[CardKey] = []
    scope = cache_scope(topic, group)
    for card_id, (version, key) in versions.items():
        card = card_cache.get(scope, card_id, version)
        if card is None:
            missing.append(key)
        else:
            cached[card_id] = card
    fresh = {card.id: card for card in render_cards(topic, group, missing) if card.html is not None}
    cards = [cached.get(card_id) or fresh.get(card_id) for card_id in versions]
    return versions, [card for card in cards if card is not None]


def frame(cards: Iterable[Card], *, sync: Iterable[str] = ()) -> str:
    """One websocket frame: the cards, and for a snapshot the regions it describes whole."""
    payload: dict[str, Any] = {"cards": [card.as_json() for card in cards]}
    sync = list(sync)
    if sync:
        payload["sync"] = sync
    return json.dumps(payload, separators=(",", ":"))
