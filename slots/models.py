from django.db import models
from django.db.models import F, Q


class SlotRule(models.Model):
    """The weekly template: "every Friday 18:00-19:00, 6 orders, order 90 minutes ahead"."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()
    capacity = models.PositiveIntegerField()
    cutoff_minutes = models.PositiveIntegerField(default=60, help_text="Orders close this many minutes before start.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slotrule_end_after_start"),
            models.UniqueConstraint(fields=["weekday", "start"], name="slotrule_unique_weekday_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M} ({self.capacity})"


class DeliverySlot(models.Model):
    """One concrete delivery window with a hard capacity."""

    rule = models.ForeignKey(SlotRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots")
    start = models.DateTimeField()
    end = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    reserved = models.PositiveIntegerField(default=0)
    order_cutoff = models.DateTimeField()
    closed = models.BooleanField(default=False)
    owner_edited = models.BooleanField(default=False, help_text="Set when the owner changes the slot by hand.")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(reserved__lte=F("capacity")),
                name="slot_reserved_within_capacity",
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_end_after_start"),
            models.UniqueConstraint(fields=["start", "end"], name="slot_unique_window"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%a %d %b %H:%M}-{self.end:%H:%M}"

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.reserved, 0)

    def is_open_at(self, moment) -> bool:
        return not self.closed and self.order_cutoff > moment

    def is_bookable_at(self, moment) -> bool:
        return self.is_open_at(moment) and self.places_left > 0

    def state_at(self, moment) -> str:
        """ "open", "full" or "closed", as pickers and the slots board show it."""
        if not self.is_open_at(moment):
            return "closed"
        return "open" if self.places_left > 0 else "full"
