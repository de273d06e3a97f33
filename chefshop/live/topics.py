"""The topic registry: each app's ``live.py`` registers its topics here, once: who may subscribe (the group
to join), the versions of the cards a group's pages show, and how to render the cards of changed keys."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from chefshop.live.cards import Card, Versions

GROUP_NAME = re.compile(r"^[A-Za-z0-9._-]{1,99}$")
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
