"""State machines, declared once as a table of steps, and the one way a versioned status moves.

An app declares its machine next to its models (``orders/machine.py``, ``deliveries/machine.py``):
every step with the states it leaves, the state it reaches, who may take it, its label (timeline,
admin), its button text (pages) and its side effects. Services move rows only through
``Machine.move``; pages, admin actions and tests read the same table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from chefshop.errors import IllegalTransition, StaleVersion

START = ""
"""The "state" before the row exists: a machine's first step leaves it, and the first timeline event says so."""


class Actor(StrEnum):
    CUSTOMER = "customer"
    OWNER = "owner"
    DRIVER = "driver"
    SYSTEM = "system"


@dataclass(frozen=True)
class Step:
    """One step of a machine.

    ``board`` names the page whose button takes the step ("" when no page has one); ``effects`` are
    the side effects its app's service (or a receiver of its signal) carries out besides writing the
    timeline, which every step does.
    """

    name: str
    sources: frozenset[str]
    target: str
    by: frozenset[Actor]
    label: str
    button: str = ""
    board: str = ""
    effects: frozenset[str] = field(default_factory=frozenset)

    def has(self, effect: str) -> bool:
        return effect in self.effects


def step(
    name: str,
    sources: Iterable[str],
    target: str,
    by: Iterable[Actor],
    label: str,
    *,
    button: str = "",
    board: str = "",
    effects: Iterable[str] = (),
) -> Step:
    """A ``Step`` written as a table row."""
    return Step(name, frozenset(sources), target, frozenset(by), label, button, board, frozenset(effects))


class Versioned(Protocol):
    """A model with a ``status``, a ``version`` and an ``updated_at``."""

    pk: Any
    status: str
    version: int


class Machine:
    def __init__(self, states: type[models.TextChoices], steps: Iterable[Step]) -> None:
        self.states = states
        self.steps: dict[str, Step] = {}
        known = {START, *states.values}
        for step in steps:
            if step.name in self.steps:
                raise ValueError(f"Step {step.name!r} is declared twice.")
            if not step.sources or not step.sources <= known or step.target not in known:
                raise ValueError(f"Step {step.name!r} names a state the machine does not have.")
            if not step.by:
                raise ValueError(f"Step {step.name!r} says nobody may take it.")
            self.steps[step.name] = step

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps.values())

    def step(self, name: str) -> Step:
        try:
            return self.steps[name]
        except KeyError:
            raise IllegalTransition(f"There is no step called {name!r}.") from None

    def first(self, name: str | None = None) -> Step:
        """The step that creates a row: the only one, or the one called ``name`` where there are several."""
        starts = [step for step in self if START in step.sources and name in (None, step.name)]
        if len(starts) != 1:
            raise IllegalTransition(f"No single first step{f' called {name!r}' if name else ''}.")
        return starts[0]

    def moves(self) -> set[tuple[str, str]]:
        """Every (from, to) pair some step allows."""
        return {(source, step.target) for step in self for source in step.sources}

    def is_path(self, statuses: Iterable[str]) -> bool:
        """Whether a timeline (the statuses it reached, in order, from the row's creation) is a legal walk."""
        moves, previous = self.moves(), START
        for status in statuses:
            if (previous, status) not in moves:
                return False
            previous = status
        return True

    def find(self, *, source: str, target: str, by: Actor) -> Step:
        """The step that takes a row from ``source`` to ``target`` for ``by``, or IllegalTransition."""
        for step in self:
            if source in step.sources and step.target == target and by in step.by:
                return step
        raise IllegalTransition()

    def buttons_on(self, board: str) -> list[Step]:
        """Every step a page has a button for."""
        return [step for step in self if step.board == board]

    def shown_on(self, board: str) -> tuple[str, ...]:
        """The states of the rows a page works on: the ones it has a button for."""
        return tuple(sorted({source for step in self.buttons_on(board) for source in step.sources}))

    def buttons(self, status: str, *, board: str) -> list[Step]:
        """The steps a page shows as buttons for a row in ``status``, in table order."""
        return [step for step in self if step.board == board and status in step.sources]

    def move(
        self, instance: Versioned, *, step: Step, version: int, by: Actor, where: Q | None = None, **changes: Any
    ) -> str:
        """Take ``step`` on ``instance`` by a conditional UPDATE on the version the caller saw.

        A caller on an older page, or one who loses a race to someone acting at the same moment, gets
        ``StaleVersion(current=...)``; a step not allowed from the row's state, or not for ``by``, gets
        ``IllegalTransition``. ``where``: a further condition the row must meet at the moment of the UPDATE
        (a deadline). Returns the status the row left; ``instance`` is updated in place.
        """
        model: type[models.Model] = type(instance)  # type: ignore[assignment]
        noun = model._meta.verbose_name
        if by not in step.by:
            raise IllegalTransition(f"Only the {' or '.join(sorted(step.by))} may {step.label.lower()}.")
        if version != instance.version:  # the caller acted on an older page than the row we hold
            raise StaleVersion(
                current=instance, message=f"This {noun} was changed meanwhile. Here is its current state."
            )
        from_status = instance.status
        if from_status not in step.sources:
            raise IllegalTransition(
                f"This {noun} is {self.states(from_status).label.lower()} "
                f"and cannot become {self.states(step.target).label.lower()}."
            )
        changes.update(status=step.target, version=F("version") + 1, updated_at=timezone.now())
        rows = model._default_manager.filter(pk=instance.pk, status=from_status, version=version)
        if where is not None:
            rows = rows.filter(where)
        if not rows.update(**changes):
            raise StaleVersion(
                current=model._default_manager.get(pk=instance.pk),
                message=f"This {noun} was changed meanwhile. Here is its current state.",
            )
        for name, value in changes.items():
            if not isinstance(value, F):
                setattr(instance, name, value)
        instance.version = version + 1
        return from_status
