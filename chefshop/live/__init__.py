"""The live layer: cards, the topic registry, the per-process hub and the one consumer of every live page.

One concern per module: ``cards`` (Card, the cache, a snapshot, the frame), ``topics`` (the registry),
``publish`` (``notify`` and ``revoke``: what services and workers import), ``hub``, ``consumer``, ``board``
(the owner boards' slot headings and small helpers) and ``receivers`` (sockets end with their permission).

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

from chefshop.live.cards import (
    GONE_FOR_GOOD,
    Card,
    CardCache,
    CardKey,
    CardKind,
    Versions,
    card_cache,
    frame,
    ids_of,
    key,
    render_cards,
    snapshot,
)
from chefshop.live.consumer import LiveConsumer
from chefshop.live.hub import FORBIDDEN, SIGNED_OUT, Hub, get_hub
from chefshop.live.publish import REVOKE_GROUP, _pending, notify, publish_changes, revoke
from chefshop.live.topics import Authorize, Topic, check_group, register_topic, topic

__all__ = [
    "FORBIDDEN",
    "GONE_FOR_GOOD",
    "REVOKE_GROUP",
    "SIGNED_OUT",
    "Authorize",
    "Card",
    "CardCache",
    "CardKey",
    "CardKind",
    "Hub",
    "LiveConsumer",
    "Topic",
    "Versions",
    "_pending",
    "card_cache",
    "check_group",
    "frame",
    "get_hub",
    "ids_of",
    "key",
    "notify",
    "publish_changes",
    "register_topic",
    "render_cards",
    "revoke",
    "snapshot",
    "topic",
]
