"""Unsafe defaults never reach production: DEBUG is off unless asked for, production refuses the public
development Stripe secrets, and the example environment in README.md passes `check --deploy`."""

import os
import re
import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT


def readme_production_environment() -> dict[str, str]:
    """The KEY=value lines of the example environment under README.md's "Production environment"."""
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^#+ Production environment\n(.*?)^```(?:sh|env)?\n(.*?)^```", readme, re.M | re.S)
    assert section, "README.md has no Production environment section with an example environment"
    pairs = (line.split("=", 1) for line in section.group(2).splitlines() if line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def run_django(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def test_debug_is_off_unless_the_environment_asks_for_it():
    # given: the base settings, with nothing said about DEBUG
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env["DJANGO_SETTINGS_MODULE"] = "chefshop.settings"
    show = ["-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"]
    # when / then
    assert run_django(show, env).stdout.strip() == "False"
    assert run_django(show, {**env, "DEBUG": "true"}).stdout.strip() == "True"


def test_the_readme_production_environment_passes_the_deploy_checks():
    # given: exactly the documented example environment, nothing else
    env = readme_production_environment()
    assert env["DJANGO_SETTINGS_MODULE"] == "chefshop.settings_production"
    assert env["PAYMENTS"] == "on"  # the example covers the Stripe secrets too
    # when
    result = check_deploy(env)
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"STRIPE_WEBHOOK_SECRET": "whsec_chefshop_local"}, "STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_WEBHOOK_SECRET": None}, "STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_WEBHOOK_SECRET": "not-a-webhook-secret"}, "STRIPE_WEBHOOK_SECRET"),
        ({"STRIPE_SECRET_KEY": "sk_test_chefshop_local"}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": None}, "STRIPE_SECRET_KEY"),
        ({"STRIPE_SECRET_KEY": "pk_live_published"}, "STRIPE_SECRET_KEY"),
    ],
)
def test_production_with_payments_refuses_a_missing_or_public_stripe_secret(change, named):
    # given: the documented environment with one Stripe secret left out or set to the public development value
    env = readme_production_environment()
    for key, value in change.items():
        if value is None:
            env.pop(key)
        else:
            env[key] = value
    # when
    result = check_deploy(env)
    # then: it does not start, and says which setting and why
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr, result.stderr[-2000:]


def test_production_without_payments_needs_no_stripe_secret():
    env = readme_production_environment()
    env.update(PAYMENTS="off")
    for key in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PUBLISHABLE_KEY"):
        env.pop(key, None)
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
