import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from chefshop.errors import DomainError
from orders import selectors as order_selectors
from orders.models import Order
from orders.shopper import shopper_token
from payments import selectors, services
from payments.errors import BadEvent

logger = logging.getLogger(__name__)


def _order_or_404(request, public_id) -> Order:
    order = order_selectors.order_for_viewer(public_id=public_id, user=request.user, token=shopper_token(request))
    if order is None or not order.pays_by_card:
        raise Http404("No such order.")
    return order


@require_GET
def panel(request, public_id):
    """The order page's payment section: the card form, or where the payment stands. Fetched by the order
    page when it loads and whenever its order changes."""
    order = _order_or_404(request, public_id)
    attempt = selectors.latest_attempt(order_id=order.pk)
    context = {
        "order": order,
        "attempt": attempt,
        "payable": order.status == Order.Status.AWAITING_PAYMENT,
        "stripe_js_url": settings.STRIPE_JS_URL,
        "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
    return render(request, "payments/_panel.html", context)


@require_POST
def pay(request, public_id):
    """Pay with the card the page tokenised (``card``: the provider's card or payment method id)."""
    order = _order_or_404(request, public_id)
    try:
        services.attempt_start(order=order, card=request.POST.get("card", ""))
        messages.info(request, "Thank you — we are confirming your payment with your bank.")
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect(order)


@require_POST
def check(request, public_id):
    """After 3-D Secure in the page: ask the worker to read the payment back now."""
    order = _order_or_404(request, public_id)
    attempt = selectors.latest_attempt(order_id=order.pk)
    if attempt is not None:
        services.attempt_check_soon(attempt_id=attempt.pk)
    return redirect(order)


@csrf_exempt
@require_POST
def webhook(request):
    """The provider's events. A bad signature is refused (400) and changes nothing; any well-signed
    event gets 200, handled or not, so the provider never retries for days."""
    try:
        outcome = services.event_receive(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except BadEvent:
        return HttpResponse("Bad signature", status=400, content_type="text/plain")
    logger.info("payments: webhook %s", outcome)
    return HttpResponse(outcome, content_type="text/plain")
