"""The per-process hub: one per web process, subscribed to the groups its sockets watch; it renders each
changed card once per flush and repairs what a page missed with a periodic digest of versions."""

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from chefshop.live.cards import Card, CardKey, Versions, frame, ids_of, render_cards, snapshot
from chefshop.live.publish import REVOKE_GROUP
from chefshop.live.topics import Topic

if TYPE_CHECKING:
    from chefshop.live.consumer import LiveConsumer

logger = logging.getLogger(__name__)

SIGNED_OUT = 4401  # the session ended: the page stops reconnecting and says so
FORBIDDEN = 4403  # not (or no longer) allowed


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
        found = [CardKey.loads(raw) for raw in keys]
        sessions = set(ids_of(found, "session", str))
        users = set(ids_of(found, "user", str))
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
        wanted = []
        for raw in keys:
            try:
                wanted.append(CardKey.loads(raw))
            except ValueError:
                logger.warning("live: %s got a key that is not a card key: %r", group, raw)
        cards = await database_sync_to_async(render_cards)(chosen, group, wanted)
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
            stale = {key.dumps() for card_id, (version, key) in current.items() if sent.get(card_id) != version}
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
