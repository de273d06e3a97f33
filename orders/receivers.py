from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from orders import services
from orders.shopper import shopper_token


@receiver(user_logged_in, dispatch_uid="orders.merge_cart_at_login")
def merge_cart_at_login(sender, request, user, **kwargs):
    if request is not None:
        services.cart_merge(token=shopper_token(request), user=user)
