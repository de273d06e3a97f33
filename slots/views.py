from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from chefshop.live.board import card_response
from chefshop.roles import owner_required
from slots import live, selectors, services
from slots.errors import SlotError


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(min_value=0, max_value=10_000)


@owner_required
def slots_board(request):
    return render(request, "slots/board.html", {"cards": live.board_cards(), "board": "slots"})


@owner_required
@require_POST
def slot_board_action(request, slot_id: int, action: str):
    if action not in ("close", "reopen", "capacity"):
        raise Http404("No such action.")
    status, message = 200, ""
    try:
        if action == "capacity":
            form = CapacityForm(request.POST)
            if not form.is_valid():
                raise SlotError(str(form.errors["capacity"][0]))
            services.slot_set_capacity(slot_id=slot_id, capacity=form.cleaned_data["capacity"])
        else:
            services.slot_set_closed(slot_id=slot_id, closed=action == "close")
    except SlotError as exc:
        status, message = 400, str(exc)
    slot = selectors.slot_get(slot_id=slot_id)
    if slot is None:
        raise Http404("No such slot.")
    if message and not request.htmx:
        messages.error(request, message)
    return card_response(
        request, html=live.render_board_row(slot, message=message), status=status, fallback="slots:board"
    )
