from datetime import date

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from catalog import live, services
from catalog.errors import StockError
from catalog.models import MAX_PORTIONS, MenuItem
from chefshop.live.board import card_response
from chefshop.roles import owner_required


class TotalForm(forms.Form):
    total = forms.IntegerField(
        min_value=0,
        max_value=MAX_PORTIONS,
        required=False,
        error_messages={"invalid": "Please give a whole number of portions, or leave it blank for unlimited."},
    )


@owner_required
def stock_board(request):
    cards = live.stock_board_cards()
    return render(request, "catalog/stock.html", {"cards": cards, "days": live._days_ahead(), "board": "stock"})


@owner_required
@require_POST
def stock_set(request, item_id: int, day: str):
    """The owner sets one day's portions of a dish; the reply is the dish's row as it is now."""
    try:
        chosen = date.fromisoformat(day)
    except ValueError:
        raise Http404("No such day.") from None
    if not MenuItem.objects.filter(pk=item_id).exists():
        raise Http404("No such dish.")
    form = TotalForm(request.POST)
    status, message = 200, ""
    if not form.is_valid():
        status, message = 400, str(form.errors["total"][0])
    else:
        try:
            services.stock_set_total(item_id=item_id, day=chosen, total=form.cleaned_data["total"])
        except StockError as exc:
            status, message = 400, str(exc)
    if message and not request.htmx:
        messages.error(request, message)
    html = live.stock_row_card(item_id, message=message)
    return card_response(request, html=html, status=status, fallback="catalog:stock")
