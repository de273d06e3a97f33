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


# --- card keys: typed, and read only by the live layer ---------------------------------------------

APPS = ["catalog", "slots", "orders", "deliveries", "payments", "chefshop"]
ROOT = Path(__file__).resolve().parents[2]


def _key_parsing(tree) -> list[int]:
    """Lines where a name bound by iterating over ``keys`` (or a parameter called ``key``) is sliced,
    split, partitioned or tested for a prefix: a card key read by hand."""
    import ast

    names = {"key"}
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension | ast.For) and isinstance(node.iter, ast.Name) and node.iter.id == "keys":
            if isinstance(node.target, ast.Name):
                names.add(node.target.id)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in names:
            if isinstance(node.slice, ast.Slice):
                found.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"split", "rsplit", "partition", "startswith"}
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
        ):
            found.append(node.lineno)
    return found


def test_no_module_outside_the_live_layer_reads_a_card_key_by_hand():
    import ast

    offenders = []
    for app in APPS:
        for module in (ROOT / app).rglob("*.py"):
            if "live" in module.relative_to(ROOT).parts[1:2] or "migrations" in module.parts:
                continue  # chefshop/live/ itself
            lines = _key_parsing(ast.parse(module.read_text()))
            offenders += [f"{module.relative_to(ROOT)}:{line}" for line in lines]
    assert not offenders, f"card keys read by hand (use live.ids_of): {offenders}"


def test_the_check_catches_a_key_read_by_hand():
    import ast

    assert _key_parsing(ast.parse("ids = [int(key[6:]) for key in keys if key.startswith('order:')]"))
    assert not _key_parsing(ast.parse("ids = live.ids_of(keys, 'order')"))


@pytest.mark.django_db
def test_every_key_a_board_or_page_declares_round_trips(slot, staff):
    from types import SimpleNamespace

    from chefshop import live
    from tests.conftest import cook, place_order

    order = place_order(slot)
    cook(place_order(slot))  # a delivery waiting on dispatch
    viewer = SimpleNamespace(user=staff, session={})
    params = {"menu": {"day": f"{slot.start:%Y-%m-%d}"}, "order": {"public_id": order.public_id}}
    checked = 0
    for topic in all_topics():
        if topic.name == "driver":
            continue  # staff are not drivers
        group = topic.authorize(viewer, params.get(topic.name, {}))
        assert group is not None, topic.name
        for card_id, (_version, card_key) in topic.versions(group).items():
            assert isinstance(card_key, live.CardKey)
            assert live.CardKey.loads(card_key.dumps()) == card_key
            kind = topic.kinds.get(card_key.kind)
            assert kind is not None, f"{topic.name} lists {card_id} with a key of an undeclared kind {card_key}"
            assert kind.key(kind.convert(card_key.id)) == card_key, f"{card_key} does not read back"
            assert kind.card_id(card_key.id) == card_id, f"{card_key} makes {kind.card_id(card_key.id)}"
            checked += 1
    assert checked >= 8


@pytest.mark.django_db
def test_a_key_of_a_kind_the_topic_does_not_show_is_logged_and_dropped(slot, caplog):
    from chefshop import live
    from tests.conftest import place_order

    order = place_order(slot)
    typo = live.key("ordr", order.public_id)
    with caplog.at_level("ERROR", logger="chefshop.live.cards"):
        cards = live.render_cards(live.topic("order"), f"order.{order.public_id}", [typo])
    assert cards == [] and "ordr:" in caplog.text
