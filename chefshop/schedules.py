"""The periodic jobs, kept in the database (django-celery-beat) where admins can see and change them."""

from django.db import transaction

# name → (task, every N seconds)
JOBS: dict[str, tuple[str, int]] = {
    "Generate delivery slots from the weekly rules": ("slots.tasks.slots_generate_job", 3600),
    "Close slots at their cutoff (sweep)": ("slots.tasks.slots_sweep_job", 30),
    "End undo windows (sweep)": ("orders.tasks.orders_confirm_sweep_job", 15),
    "Send notifications left unsent (sweep)": ("orders.tasks.notifications_sweep_job", 30),
    "End payment holds that ran out (sweep)": ("orders.tasks.orders_holds_sweep_job", 15),
    # (named as before, so an installed shop keeps one payments sweep, not two)
    "Payments: holds, unanswered attempts, releases (sweep)": ("payments.tasks.payments_sweep_job", 15),
}


@transaction.atomic
def ensure_schedules(*, every: dict[str, int] | None = None) -> int:
    """Create the jobs that are missing; an admin's change to an existing one is kept.
    ``every`` overrides intervals by task name (and is applied), for tests and tuning."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    created = 0
    for name, (task, seconds) in JOBS.items():
        override = (every or {}).get(task)
        interval, _ = IntervalSchedule.objects.get_or_create(every=override or seconds, period=IntervalSchedule.SECONDS)
        job, was_created = PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})
        created += was_created
        if override and job.interval_id != interval.pk:
            job.interval = interval
            job.save()
    return created
