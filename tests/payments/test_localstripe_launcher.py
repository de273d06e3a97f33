"""What the shop's localstripe launcher (scripts/run_localstripe.py) changes in what localstripe serves the browser."""

import requests


def test_the_stand_in_script_is_localstripes_in_a_scope_of_its_own(localstripe_url):
    script = requests.get(f"{localstripe_url}/js.stripe.com/v3/", timeout=10)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")
    assert "class Element" in script.text  # localstripe's own stand-in
    # its top-level names (class Element) must not shadow the page's globals (window.Element)
    assert script.text.startswith("(function () {") and script.text.rstrip().endswith("})();")
