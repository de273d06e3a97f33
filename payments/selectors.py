from payments.models import PaymentAttempt


def latest_attempt(*, order_id: int) -> PaymentAttempt | None:
    return PaymentAttempt.objects.filter(order_id=order_id).order_by("-created_at", "-pk").first()
