from payments.models import PaymentAttempt


def latest_attempt(*, order_id: int) -> PaymentAttempt | None:
    return PaymentAttempt.objects.filter(order_id=order_id).order_by("-created_at", "-pk").first()


def attempt_id_for_intent(*, intent_id: str | None, key: str | None) -> int | None:
    """The attempt an intent was made for: by the intent's id, else by the attempt key in its metadata."""
    found = None
    if intent_id:
        found = PaymentAttempt.objects.filter(intent_id=intent_id).values_list("pk", flat=True).first()
    if found is None and key:
        found = PaymentAttempt.objects.filter(key=key).values_list("pk", flat=True).first()
    return found


def attempt_id_for_refund(*, refund_id: str) -> int | None:
    return PaymentAttempt.objects.filter(refund_id=refund_id).values_list("pk", flat=True).first()
