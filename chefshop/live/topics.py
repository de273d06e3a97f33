"""The topic registry: each app's ``live.py`` registers its topics here, once: its socket path (with its
typed parameters, as a Django route), who may subscribe (the group to join), the versions of the cards a
group's pages show, and how to render the cards of changed keys. ``chefshop/routing.py`` is built from
this registry, and templates get a topic's socket URL from ``{% live_socket "name" param=value %}``."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from chefshop.live.cards import Card, CardKey, CardKind, Versions

GROUP_NAME = re.compile(r"^[A-Za-z0-9._-]{1,99}$")
# Topic callables receive a "viewer" with ``user`` and ``session`` (like a request) and the URL's
# keyword arguments. ``authorize`` returns the group to join, or None to refuse.
Authorize = Callable[[Any, dict[str, Any]], str | None]


# A route parameter: <converter:name>, as in Django's path().
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>[a-z_]+)>")
CONVERTERS = {"str", "int", "uuid", "slug"}


@dataclass(frozen=True)
class Topic:
    name: str
    path: str  # the socket's route, e.g. "ws/orders/<uuid:public_id>/"
    authorize: Authorize
    versions: Callable[[str], Versions]
    cards: Callable[[str, list[CardKey]], list[Card]]
    regions: tuple[str, ...]
    kinds: dict[str, CardKind]

    def declared(self, keys: Iterable[CardKey]) -> tuple[list[CardKey], list[CardKey]]:
        """``keys`` split into those of the kinds this topic shows and the others (a receiver's typo)."""
        keys = list(keys)
        return [k for k in keys if k.kind in self.kinds], [k for k in keys if k.kind not in self.kinds]


_topics: dict[str, Topic] = {}


def register_topic(
    name: str,
    *,
    path: str,
    authorize: Authorize,
    versions: Callable[[str], Versions],
    cards: Callable[[str, list[CardKey]], list[Card]],
    regions: Iterable[str],
    kinds: Iterable[CardKind],
) -> Topic:
    if not (path.startswith("ws/") and path.endswith("/")):
        raise ValueError(f"Topic {name!r}: a socket path starts with ws/ and ends with /, not {path!r}.")
    for found in ROUTE_PARAMETER.finditer(path):
        if (found["converter"] or "str") not in CONVERTERS:
            raise ValueError(f"Topic {name!r}: unknown converter in {path!r}.")
    taken = {other.path: other.name for other in _topics.values() if other.name != name}
    if path in taken:
        raise ValueError(f"Topic {name!r}: {path!r} is already the socket of {taken[path]!r}.")
    by_name: dict[str, CardKind] = {}
    for kind in kinds:
        if by_name.setdefault(kind.name, kind) is not kind:
            raise ValueError(f"Topic {name!r}: two card kinds are called {kind.name!r}.")
    topic = Topic(
        name=name,
        path=path,
        authorize=authorize,
        versions=versions,
        cards=cards,
        regions=tuple(regions),
        kinds=by_name,
    )
    _topics[name] = topic
    return topic


def topic(name: str) -> Topic:
    try:
        return _topics[name]
    except KeyError:
        raise LookupError(f"No live topic is called {name!r}; registered: {', '.join(sorted(_topics))}.") from None


def all_topics() -> list[Topic]:
    return sorted(_topics.values(), key=lambda t: t.name)


def parameters(topic_name: str) -> list[str]:
    return [found["name"] for found in ROUTE_PARAMETER.finditer(topic(topic_name).path)]


def socket_url(topic_name: str, **params: Any) -> str:
    """The URL a page opens for this topic, its route's parameters filled in (all of them, nothing else)."""
    chosen = topic(topic_name)
    wanted = parameters(topic_name)
    if sorted(params) != sorted(wanted):
        raise ValueError(f"The {topic_name!r} socket takes {wanted or 'no parameters'}, not {sorted(params)}.")

    def fill(found: re.Match[str]) -> str:
        value = str(params[found["name"]])
        if not value or "/" in value:
            raise ValueError(f"{found['name']}={value!r} cannot go in a socket path.")
        return value

    return "/" + ROUTE_PARAMETER.sub(fill, chosen.path)


def check_group(name: str) -> str:
    if not GROUP_NAME.match(name):
        raise ValueError(f"Invalid group name {name!r}")
    return name
