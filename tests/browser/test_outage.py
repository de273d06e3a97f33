"""While PostgreSQL restarts, pages say "we'll be right back" (503) and come back by themselves."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import postgres_stopped
from tests.factories import MenuItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_menu_shows_the_503_page_during_a_database_restart_and_comes_back(daphne_server, new_page):
    MenuItemFactory(name="Lentil soup")
    page = new_page()
    page.goto(daphne_server.url + "/")
    expect(page.get_by_role("heading", name="Menu")).to_be_visible()
    with postgres_stopped():
        response = page.goto(daphne_server.url + "/")
        assert response.status == 503
        assert response.headers["retry-after"] == "5"
        expect(page.get_by_role("heading", name="We'll be right back")).to_be_visible()
        assert "Traceback" not in page.content()
        # A request waits up to the pool's timeout (10 s) for a connection before it is answered 503: the
        # client waits longer than that, as browsers and htmx do (Playwright's own default is 10 s).
        htmx = page.request.get(daphne_server.url + "/", headers={"HX-Request": "true"}, timeout=30_000)
        assert htmx.status == 503 and "right back" in htmx.text() and "<html" not in htmx.text()  # a fragment
    # the page retries by itself (Retry-After / refresh) and the menu is back, no reload by hand
    expect(page.get_by_role("heading", name="Menu")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Lentil soup")).to_be_visible()
