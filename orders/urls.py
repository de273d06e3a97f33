from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.menu, name="menu"),
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/update/", views.cart_update, name="cart_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="list"),
    path("orders/<uuid:public_id>/", views.order_detail, name="detail"),
    path("orders/<uuid:public_id>/cancel/", views.order_cancel, name="cancel"),
    path("orders/<uuid:public_id>/again/", views.order_again, name="again"),
    path("owner/kitchen/", views.kitchen_board, name="kitchen"),
    path("owner/kitchen/slots/<int:slot_id>/", views.kitchen_slot, name="kitchen_slot"),
    path("owner/kitchen/orders/<uuid:public_id>/<slug:action>/", views.kitchen_action, name="kitchen_action"),
]
