"""The live layer: cards, the topic registry, the per-process hub and the one consumer of every live page.

It knows no app. Each app's ``live.py`` registers its topics: who may subscribe (the group to join),
the versions of the cards a group's pages show, and how to render the cards for some changed keys.

How a change reaches a screen:

1. A service changes rows; the app's ``live.py`` hears the app's signal and calls :func:`notify`
   with the group and the keys that changed. After commit that is one small Redis PUBLISH (the
   Pub/Sub channel layer): no rendering, no per-socket work in the writer.
2. Each web process runs one :class:`Hub`. It is subscribed to the groups its own sockets watch, so
   it receives the message once, however many sockets it holds. It gathers changed keys and flushes
   them at most every ``LIVE_FLUSH_SECONDS``: each changed card is rendered once, from the database as
   it is now (so the newest version always wins), and one frame goes to each socket of the group.
3. Every ``LIVE_DIGEST_SECONDS`` the hub compares the card versions in the database with the ones it
   last sent, and pushes what differs. A push lost anywhere (Redis blip, a missed subscription, a
   message published while the process was reconnecting) is thus repaired without any help from the
   layer's reconnect hooks, which channels_redis 4.3 never calls.

A page applies a card only if its version is newer than the one it shows (``static/js/live.js``).
"""

import asyncio
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from chefshop.clients import client_ip
from chefshop.outage import OUTAGE_ERRORS

logger = logging.getLogger(__name__)

GROUP_NAME = re.compile(r"^[A-Za-z0-9._-]{1,99}$")
CHANGED_TYPE = "live.changed"
# Every hub listens here for permissions that ended: keys "session:<key>" (that browser logged out) and
# "user:<id>" (the user's rights changed: staff, active, driver). See ``revoke``.
REVOKE_GROUP = "live.revoke"
SIGNED_OUT = 4401  # the session ended: the page stops reconnecting and says so
FORBIDDEN = 4403  # not (or no longer) allowed
# The version of a removal whose row was deleted: newer than anything a page can show.
GONE_FOR_GOOD = 2**53 - 1


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
Versions = dict[str, tuple[int, str]]
# Topic callables receive a "viewer" with ``user`` and ``session`` (like a request) and the URL's
# keyword arguments. ``authorize`` returns the group to join, or None to refuse.
Authorize = Callable[[Any, dict[str, Any]], str | None]


@dataclass(frozen=True)
class Topic:
    name: str
    authorize: Authorize
    versions: Callable[[str], Versions]
    cards: Callable[[str, list[str]], list[Card]]
    regions: tuple[str, ...]


_topics: dict[str, Topic] = {}


def register_topic(
    name: str,
    *,
    authorize: Authorize,
    versions: Callable[[str], Versions],
    cards: Callable[[str, list[str]], list[Card]],
    regions: Iterable[str],
) -> Topic:
    topic = Topic(name=name, authorize=authorize, versions=versions, cards=cards, regions=tuple(regions))
    _topics[name] = topic
    return topic


def topic(name: str) -> Topic:
    return _topics[name]


def check_group(name: str) -> str:
    if not GROUP_NAME.match(name):
        raise ValueError(f"Invalid group name {name!r}")
    return name


# --- rendering ----------------------------------------------------------------------------------


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


def render_cards(topic: Topic, group: str, keys: Iterable[str]) -> list[Card]:
    """The topic's cards for these keys as they are now (removals included), remembered for later."""
    keys = sorted(set(keys))
    if not keys:
        return []
    cards = topic.cards(group, keys)
    scope = cache_scope(topic, group)
    for card in cards:
        card_cache.put(scope, card)
    return cards


def snapshot(topic: Topic, group: str, versions: Versions | None = None) -> tuple[Versions, list[Card]]:
    """Every card of the group's regions now: the versions in one query, unchanged cards from the cache,
    the others rendered in one go."""
    if versions is None:
        versions = topic.versions(group)
    cached: dict[str, Card] = {}
    missing: list[str] = []
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


def snapshot_frame(topic_name: str, group: str) -> str:
    """A whole-regions frame for a page's htmx/JSON reply (e.g. opening a collapsed slot)."""
    chosen = topic(topic_name)
    return frame(snapshot(chosen, group)[1])


# --- writers ------------------------------------------------------------------------------------


class Publisher:
    """Sends a change message to a group the way the Pub/Sub layer's ``group_send`` does (one PUBLISH on
    the group's channel, serialised by the layer), but from the writer's own thread on a pooled sync
    connection: a request or a Celery task never waits for an event loop to do it."""

    def __init__(self) -> None:
        config: dict[str, Any] = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})  # type: ignore[assignment]
        hosts = config.get("hosts") or [{"address": "redis://localhost:6379"}]
        self.prefix = config.get("prefix", "asgi")
        self.client: redis.Redis | None = None
        if len(hosts) == 1 and isinstance(hosts[0], dict) and "address" in hosts[0]:
            self.client = redis.Redis.from_url(hosts[0]["address"], socket_timeout=2, socket_connect_timeout=2)

    def publish(self, changes: dict[str, list[str]]) -> None:
        """One message per group, all in one round trip to Redis."""
        layer = get_channel_layer()
        messages = {group: {"type": CHANGED_TYPE, "group": group, "keys": keys} for group, keys in changes.items()}
        if self.client is None:  # sharded layer: let it pick the shards
            for group, message in messages.items():
                async_to_sync(layer.group_send)(group, message)
            return
        # The channel name is channels_redis 4.3's RedisPubSubLoopLayer._get_group_channel_name(group);
        # tests/live prove a hub subscribed through the layer hears what is published here.
        pipe = self.client.pipeline(transaction=False)
        for group, message in messages.items():
            pipe.publish(f"{self.prefix}__group__{group}", layer.serialize(message))
        pipe.execute()


_publisher: Publisher | None = None


def publish_changes(changes: dict[str, Iterable[Any]]) -> None:
    """Tell every web process which keys of which groups changed. Never raises: a push is a side
    effect, and what a page misses is caught up by the digest."""
    global _publisher
    wanted = {check_group(group): sorted({str(key) for key in keys}) for group, keys in changes.items()}
    wanted = {group: keys for group, keys in wanted.items() if keys}
    if not wanted:
        return
    try:
        if _publisher is None:
            _publisher = Publisher()
        _publisher.publish(wanted)
    except Exception:
        logger.warning("live notify to %s failed", ", ".join(wanted), exc_info=True)


def publish(group: str, keys: Iterable[str]) -> None:
    publish_changes({group: keys})


_pending = threading.local()


def _flush_pending() -> None:
    changes = getattr(_pending, "changes", None)
    if changes:
        _pending.changes = {}
        publish_changes(changes)


def revoke(*, session_key: str | None = None, user_id: int | None = None) -> None:
    """After commit, close the open sockets of this browser session (logout), or re-check those of
    this user against their topic's rules (rights changed): every web process closes the ones that
    are no longer allowed within moments, and they cannot reconnect."""
    keys = [f"session:{session_key}"] if session_key else []
    keys += [f"user:{user_id}"] if user_id is not None else []
    if keys:
        notify(REVOKE_GROUP, *keys)


def notify(group: str, *keys: Any) -> None:
    """After the current transaction commits, say that these keys of ``group`` changed.

    Everything a transaction notifies goes out together, in one round trip, after its commit: the first
    of its on-commit hooks sends it all and the others find nothing left. (Keys recorded by a block that
    rolled back may go out with the next commit of the same thread; a page then merely gets the card as
    it is.)"""
    changes = _pending.__dict__.setdefault("changes", {})
    changes.setdefault(check_group(group), set()).update(keys)
    transaction.on_commit(_flush_pending, robust=True)


# --- the per-process hub ------------------------------------------------------------------------


class Hub:
    """One per web process: subscribes to the groups its sockets watch, renders each changed card once
    per flush, and hands the frame to every local socket in memory."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, set[Any]] = {}
        self.topics: dict[str, Topic] = {}
        self.subscribed: set[str] = set()
        self.sent: dict[str, dict[str, int]] = {}
        self.pending: dict[str, set[str]] = {}
        self.snapshots: dict[str, tuple[Versions, str]] = {}
        self.wake = asyncio.Event()
        self.channel_lock = asyncio.Lock()
        self.tasks: list[asyncio.Task[None]] = []
        self.flushes = 0

    def start(self) -> None:
        if not self.tasks:
            self.tasks = [
                asyncio.ensure_future(self._receive_loop()),
                asyncio.ensure_future(self._flush_loop()),
                asyncio.ensure_future(self._digest_loop()),
            ]

    async def join(self, consumer: "LiveConsumer", chosen: Topic, group: str) -> None:
        """Count the socket in, and be subscribed before the page's snapshot is read: a change committed
        after the snapshot is then always heard (while Redis is down, the digest covers the gap)."""
        self.members.setdefault(group, set()).add(consumer)
        self.topics[group] = chosen
        try:
            await self._ensure_channel()
        except Exception:  # noqa: BLE001 - Redis down: the receive loop keeps trying
            logger.warning("live: no channel yet for %s", group)
            return
        await self._subscribe(group)

    async def _ensure_channel(self) -> str:
        async with self.channel_lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel(prefix="live-hub.")
                self.subscribed.clear()
            return self.channel

    async def leave(self, consumer: "LiveConsumer", group: str) -> None:
        members = self.members.get(group)
        if members is None:
            return
        members.discard(consumer)
        if members:
            return
        for table in (self.members, self.topics, self.sent, self.pending, self.snapshots):
            table.pop(group, None)
        if group in self.subscribed and self.channel is not None:
            self.subscribed.discard(group)
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:  # noqa: BLE001 - Redis gone: the subscription went with the connection
                logger.info("live: unsubscribe from %s failed", group)

    async def snapshot(self, group: str) -> str:
        """The whole-regions frame for a page that connects. Pages connecting while nothing changed (a
        reconnect storm after a restart) share one rendering: only the versions are read each time."""
        chosen = self.topics[group]
        versions = await database_sync_to_async(chosen.versions)(group)
        if group not in self.sent:  # the first page of this group here: what it shows is what was sent
            self.sent[group] = {card_id: version for card_id, (version, _) in versions.items()}
        cached = self.snapshots.get(group)
        if cached is not None and cached[0] == versions:
            return cached[1]
        _, cards = await database_sync_to_async(snapshot)(chosen, group, versions)
        text = frame(cards, sync=chosen.regions)
        self.snapshots[group] = (versions, text)
        return text

    async def _subscribe(self, group: str) -> None:
        if group in self.subscribed or self.channel is None:
            return  # no channel yet (Redis down at start): the receive loop subscribes when it has one
        try:
            await self.layer.group_add(group, self.channel)
            self.subscribed.add(group)
        except Exception:  # noqa: BLE001 - Redis down: the digest keeps the page right until we can
            logger.warning("live: subscribe to %s failed; retrying", group)

    def _unsubscribed(self) -> list[str]:
        return [group for group in (REVOKE_GROUP, *self.members) if group not in self.subscribed]

    async def _receive_loop(self) -> None:
        while True:
            try:
                await self._ensure_channel()
                for group in self._unsubscribed():
                    await self._subscribe(group)
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live: receiving failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            group = message.get("group")
            if group == REVOKE_GROUP:
                await self._revoke(message.get("keys", ()))
            elif group in self.members:
                self.pending.setdefault(group, set()).update(message.get("keys", ()))
                self.wake.set()

    async def _revoke(self, keys: Iterable[str]) -> None:
        sessions = {key.split(":", 1)[1] for key in keys if key.startswith("session:")}
        users = {key.split(":", 1)[1] for key in keys if key.startswith("user:")}
        for consumer in {consumer for members in self.members.values() for consumer in members}:
            try:
                if consumer.session_key in sessions:
                    await consumer.end(SIGNED_OUT)
                elif str(consumer.user_id) in users and not await consumer.still_allowed():
                    await consumer.end(FORBIDDEN)
            except Exception:
                logger.warning("live: re-checking a socket failed", exc_info=True)

    async def _flush_loop(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            batch, self.pending = self.pending, {}
            for group, keys in batch.items():
                try:
                    await self._flush_group(group, keys)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("live: flushing %s failed", group)
            self.flushes += 1
            # Changes arriving from now on wait for the next flush: a burst costs a socket one frame per
            # card per interval, carrying the newest version.
            await asyncio.sleep(settings.LIVE_FLUSH_SECONDS)

    async def _flush_group(self, group: str, keys: set[str]) -> None:
        chosen = self.topics.get(group)
        if chosen is None:
            return
        cards = await database_sync_to_async(render_cards)(chosen, group, keys)
        self.send_cards(group, cards)

    def send_cards(self, group: str, cards: list[Card]) -> None:
        if group not in self.members:  # the last page left while the cards were rendered
            return
        sent = self.sent.setdefault(group, {})
        changed = []
        for card in cards:
            if card.html is None:
                sent.pop(card.id, None)
                changed.append(card)
            elif card.on_request:
                changed.append(card)
            elif sent.get(card.id) != card.version:
                sent[card.id] = card.version
                changed.append(card)
        if not changed:
            return
        text = frame(changed)
        for consumer in list(self.members.get(group, ())):
            consumer.push(text)

    async def _digest_loop(self) -> None:
        while True:
            await asyncio.sleep(settings.LIVE_DIGEST_SECONDS)
            try:
                await self.digest()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("live: digest failed", exc_info=True)

    async def digest(self) -> int:
        """Compare every watched group's card versions with what was sent; queue what differs.
        Returns the number of cards found out of date."""
        behind = 0
        if self.channel is not None:  # subscriptions that failed while Redis was away
            for group in self._unsubscribed():
                await self._subscribe(group)
        for group in list(self.members):
            chosen = self.topics.get(group)
            if chosen is None:
                continue
            try:
                current = await database_sync_to_async(chosen.versions)(group)
            except Exception:
                logger.warning("live: digest of %s failed", group, exc_info=True)
                continue
            if group not in self.members:  # left meanwhile
                continue
            sent = self.sent.setdefault(group, {})
            stale = {key for card_id, (version, key) in current.items() if sent.get(card_id) != version}
            gone = [
                Card(id=card_id, version=sent[card_id], region="", html=None)
                for card_id in sent
                if card_id not in current
            ]
            if gone:
                behind += len(gone)
                self.send_cards(group, gone)
            if stale:
                behind += len(stale)
                self.pending.setdefault(group, set()).update(stale)
                self.wake.set()
        return behind


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def get_hub() -> Hub:
    """This process's hub, started with the first socket (daphne has no startup hook)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub(get_channel_layer())
        hub.start()
    return hub


class LiveConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]  # channels has no type hints
    """Serves every live page: authorise the topic, join the process's hub, send the current state."""

    # Sockets need no channel of their own: the hub holds the one subscription per group per process.
    channel_layer_alias = "live-sockets-use-the-hub"

    def __init__(self, topic: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topic = _topics[topic]
        self.group: str | None = None
        self.hub: Hub | None = None
        self.waiting: list[str] | None = None
        self.accepted = False
        self.sending: set[asyncio.Future[None]] = set()
        self.session_key: str | None = None
        self.user_id: int | None = None

    async def connect(self) -> None:
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})
        viewer = SimpleNamespace(user=self.scope.get("user"), session=self.scope.get("session"))
        try:
            group = await database_sync_to_async(self.topic.authorize)(viewer, kwargs)
        except OUTAGE_ERRORS:
            await self._try_again_later()
            return
        if group is None:
            logger.info("live: %s socket from %s refused", self.topic.name, client_ip(self.scope))
            await self.close(code=FORBIDDEN)  # before accept: the handshake is refused with 403
            return
        self.group = check_group(group)
        user, session = viewer.user, viewer.session
        self.user_id = user.pk if user is not None and user.is_authenticated else None
        self.session_key = session.session_key if session is not None else None
        await self.accept()
        self.accepted = True
        self.hub = get_hub()
        # Pushes that come while the snapshot is read wait for it: the page gets the whole regions first,
        # then what changed since, in order (and never a snapshot older than a card it already shows).
        self.waiting = []
        try:
            await self.hub.join(self, self.topic, self.group)
            await self.send(text_data=await self.hub.snapshot(self.group))
        except OUTAGE_ERRORS:
            await self.hub.leave(self, self.group)
            await self._try_again_later()
            return
        except BaseException:
            await self.hub.leave(self, self.group)  # a failed or cancelled connect leaves nothing behind
            raise
        waiting, self.waiting = self.waiting, None
        for text in waiting:
            await self.send(text_data=text)

    async def _try_again_later(self) -> None:
        """The database is away: close with 1013 ("try again later"), on which the page reconnects."""
        logger.warning(
            "live: database unavailable, %s socket from %s told to try again later",
            self.topic.name,
            client_ip(self.scope),
        )
        if not self.accepted:
            await self.accept()
        await self.close(code=1013)

    async def still_allowed(self) -> bool:
        """The topic's own rules, asked again with the user as the database has them now."""
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})

        def ask() -> bool:
            from django.contrib.auth import get_user_model
            from django.contrib.auth.models import AnonymousUser

            found = get_user_model().objects.filter(pk=self.user_id).first() if self.user_id is not None else None
            user = found or AnonymousUser()
            viewer = SimpleNamespace(user=user, session=self.scope.get("session"))
            return bool(self.topic.authorize(viewer, kwargs) == self.group)

        return bool(await database_sync_to_async(ask)())

    async def end(self, code: int) -> None:
        """Close this socket for good: the page does not reconnect after these codes."""
        logger.info("live: %s socket from %s closed (%s)", self.topic.name, client_ip(self.scope), code)
        if self.hub is not None and self.group is not None:
            await self.hub.leave(self, self.group)
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.hub is not None and self.group is not None:
            await self.hub.leave(self, self.group)

    def push(self, text: str) -> None:
        """Hand a frame to this socket. Daphne's send only queues it on the transport, so a slow socket
        never holds up the others."""
        if self.waiting is not None:
            self.waiting.append(text)
            return
        task = asyncio.ensure_future(self._push(text))
        self.sending.add(task)  # held until done, so the loop cannot drop it half-way
        task.add_done_callback(self.sending.discard)

    async def _push(self, text: str) -> None:
        try:
            await self.send(text_data=text)
        except Exception:  # noqa: BLE001 - the socket went away meanwhile
            logger.debug("live: push to a closed socket")
