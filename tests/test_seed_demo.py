"""Demo accounts exist only when DEBUG is on; `make db` and `make run` turn it on for the demo."""

import io
import subprocess

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from deliveries.models import Driver
from tests.browser.conftest import ROOT

DEMO_USERS = {"owner", "driver1", "driver2", "customer"}


@pytest.mark.django_db
def test_seed_demo_makes_no_accounts_with_debug_off(settings):
    # given
    settings.DEBUG = False
    # when
    call_command("seed_demo", stdout=io.StringIO())
    # then
    assert not get_user_model().objects.filter(username__in=DEMO_USERS).exists()


@pytest.mark.django_db
def test_seed_demo_makes_the_demo_accounts_with_debug_on(settings):
    # given
    settings.DEBUG = True
    # when: run twice (it is idempotent)
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    # then
    users = {user.username: user for user in get_user_model().objects.filter(username__in=DEMO_USERS)}
    assert set(users) == DEMO_USERS
    assert users["owner"].is_staff and all(user.check_password("chefshop-demo") for user in users.values())
    assert set(Driver.objects.values_list("user__username", flat=True)) >= {"driver1", "driver2"}


@pytest.mark.parametrize(("target", "command"), [("db", "manage.py seed_demo"), ("run", "supervisord")])
def test_make_db_and_make_run_turn_debug_on_for_the_demo(target, command):
    # `make -n` prints the recipes without running them
    env = {"PATH": "/usr/bin:/bin"}
    printed = subprocess.run(
        ["make", "-n", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    lines = printed.replace("\\\n", " ").splitlines()  # one line per command, continuations joined
    line = next(line for line in lines if command in line)
    assert "DEBUG=true" in line.split(command)[0], line
