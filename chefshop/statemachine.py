"""The one way a versioned status moves: checked against the allowed steps, applied by a conditional UPDATE."""

from django.db.models import F
from django.utils import timezone


def versioned_move(instance, *, to_status: str, version: int, transitions: dict, stale, illegal, **changes) -> str:
    """Move ``instance`` (a model with ``status``, ``version`` and ``updated_at``) to ``to_status``.

    ``version`` is the version the caller saw. A caller on an older page, or one who loses a race to
    someone acting at the same moment, gets ``stale(current=...)``; a step the machine does not allow
    gets ``illegal``. Returns the status it left; ``instance`` is updated in place.
    """
    if version != instance.version:  # the caller acted on an older page than the row we hold
        raise stale(current=instance)
    from_status = instance.status
    if to_status not in transitions.get(from_status, set()):
        raise illegal(
            f"This {instance._meta.verbose_name} is {instance.get_status_display().lower()} "
            f"and cannot become {type(instance).Status(to_status).label.lower()}."
        )
    model = type(instance)
    changes.update(status=to_status, version=F("version") + 1, updated_at=timezone.now())
    if not model.objects.filter(pk=instance.pk, status=from_status, version=version).update(**changes):
        raise stale(current=model.objects.get(pk=instance.pk))
    for field, value in changes.items():
        if not isinstance(value, F):
            setattr(instance, field, value)
    instance.version = version + 1
    return from_status
