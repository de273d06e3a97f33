"""A live topic is declared once: routing and every template's socket URL come from the registry, so a
typo fails a test (or a render), never a page that silently stops updating."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from chefshop.live.topics import all_topics, parameters, socket_url
from chefshop.routing import websocket_urlpatterns

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
SOCKET_TAG = re.compile(r"""{%\s*live_socket\s+["']([^"']+)["']([^%]*)%}""")


def _socket_tags() -> list[tuple[str, str, set[str]]]:
    found = []
    for template in TEMPLATES.rglob("*.html"):
        for name, rest in SOCKET_TAG.findall(template.read_text()):
            given = {part.split("=", 1)[0] for part in rest.split() if "=" in part}
            found.append((str(template.relative_to(TEMPLATES)), name, given))
    return found


def test_every_socket_a_template_opens_is_a_registered_topic_with_its_parameters():
    tags = _socket_tags()
    assert len(tags) >= 9  # every live page
    registered = {topic.name for topic in all_topics()}
    for template, name, given in tags:
        assert name in registered, f"{template} opens the unregistered topic {name!r}"
        assert given == set(parameters(name)), f"{template}: {name!r} takes {parameters(name)}, given {given}"


def test_no_template_writes_a_socket_path_by_hand():
    for template in TEMPLATES.rglob("*.html"):
        assert "/ws/" not in template.read_text(), f"{template} writes a socket path by hand"


def test_routing_is_the_registry_and_the_paths_are_the_public_ones():
    routes = {
        str(pattern.pattern): pattern.callback.__dict__.get("initkwargs", {}) for pattern in websocket_urlpatterns
    }
    assert set(routes) == {topic.path for topic in all_topics()}
    assert {
        "ws/slots/",
        "ws/orders/<uuid:public_id>/",
        "ws/owner/kitchen/",
        "ws/owner/dispatch/",
        "ws/owner/slots/",
        "ws/driver/",
    } <= set(routes)


def test_a_socket_tag_naming_an_unknown_topic_or_missing_a_parameter_fails_the_render():
    with pytest.raises(LookupError):
        Template('{% live_socket "kitchn" %}').render(Context())
    with pytest.raises(ValueError):
        Template('{% live_socket "order" %}').render(Context())
    assert Template('{% live_socket "menu" day="2026-12-03" %}').render(Context()) == "/ws/menu/2026-12-03/"
    with pytest.raises(ValueError):
        socket_url("menu", day="../../admin")
