"""A live socket's permission ends with the session: logout in one tab closes the board in another,
and losing a right (staff, active driver) closes that page's socket within moments."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import off_loop
from tests.factories import DriverFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-word-123"
SOON = 10_000  # "within a few seconds"


def _login(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)


def test_logout_in_one_tab_closes_the_board_socket_in_another(daphne_server, browser):
    UserFactory(username="boss", is_staff=True)
    context = browser.new_context()
    board, other = context.new_page(), context.new_page()
    _login(board, daphne_server.url, "boss")
    board.goto(daphne_server.url + "/owner/kitchen/")
    expect(board.locator(".live-indicator")).to_have_text("Live")
    # when: the same browser logs out in another tab
    other.goto(daphne_server.url + "/owner/slots/")
    other.get_by_role("button", name="Log out").click()
    # then: the board's socket is closed for good, and the page says why
    expect(board.locator(".live-indicator")).to_have_attribute("data-state", "signed-out", timeout=SOON)
    board.wait_for_timeout(2_000)
    expect(board.locator(".live-indicator")).to_have_attribute("data-state", "signed-out")  # no reconnect
    board.reload()
    expect(board).to_have_url(f"{daphne_server.url}/accounts/login/?next=/owner/kitchen/")
    context.close()


def test_losing_staff_rights_or_the_driver_role_closes_the_socket(daphne_server, browser):
    boss = UserFactory(username="boss", is_staff=True)
    driver = DriverFactory(user=UserFactory(username="wheels"))
    owner_context, driver_context = browser.new_context(), browser.new_context()
    board, phone = owner_context.new_page(), driver_context.new_page()
    _login(board, daphne_server.url, "boss")
    board.goto(daphne_server.url + "/owner/dispatch/")
    _login(phone, daphne_server.url, "wheels")
    phone.goto(daphne_server.url + "/driver/")
    for page in (board, phone):
        expect(page.locator(".live-indicator")).to_have_text("Live")
    # when: an admin takes the staff flag away, and makes the driver inactive
    boss.is_staff = False
    off_loop(boss.save)
    driver.active = False
    off_loop(driver.save)
    # then: both sockets are closed as no longer allowed
    for page in (board, phone):
        expect(page.locator(".live-indicator")).to_have_attribute("data-state", "forbidden", timeout=SOON)
    owner_context.close()
    driver_context.close()
