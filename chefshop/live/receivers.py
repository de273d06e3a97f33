"""A socket's permission ends with the session: logging out closes that browser's live sockets, and a
change to a user (staff rights, active) has their sockets checked again."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from chefshop.live.publish import revoke


@receiver(user_logged_out, dispatch_uid="chefshop.live_sockets_end_at_logout")
def sockets_end_at_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Sent before the session is flushed: its key is still the one the sockets were opened with.
    if request is not None and request.session.session_key:
        revoke(session_key=request.session.session_key)


@receiver(post_save, sender=get_user_model(), dispatch_uid="chefshop.live_sockets_recheck_user")
@receiver(post_delete, sender=get_user_model(), dispatch_uid="chefshop.live_sockets_recheck_deleted_user")
def sockets_recheck_user(
    sender: Any, instance: Any, created: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if created or (update_fields is not None and set(update_fields) == {"last_login"}):
        return  # a new user has no sockets; logging in changes no rights
    revoke(user_id=instance.pk)
