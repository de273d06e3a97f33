"""A driver's page shows customers' names, phones and addresses: whoever stops being that driver loses its
socket at once."""

import pytest

from chefshop import live
from tests.factories import DriverFactory, UserFactory

pytestmark = pytest.mark.django_db


def _revoked() -> set[str]:
    return set(live._pending.changes.get(live.REVOKE_GROUP, ()))


def test_moving_a_driver_profile_to_another_user_revokes_the_old_users_sockets_too():
    # given: a driver profile that belongs to one user
    driver = DriverFactory()
    old_user, new_user = driver.user, UserFactory()
    live._pending.changes = {}
    # when: admin gives the profile to another user
    driver.user = new_user
    driver.save()
    # then: both users' sockets are re-checked: the old user's driver page closes, it is no longer theirs
    assert {f"user:{old_user.pk}", f"user:{new_user.pk}"} <= _revoked()
