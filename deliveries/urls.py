from django.urls import path

from deliveries import views

app_name = "deliveries"
urlpatterns = [
    path("owner/dispatch/", views.dispatch_board, name="dispatch"),
    path("owner/dispatch/slots/<int:slot_id>/", views.dispatch_slot, name="dispatch_slot"),
    path("owner/dispatch/<int:delivery_id>/assign/", views.dispatch_assign, name="assign"),
    path("owner/dispatch/<int:delivery_id>/<slug:action>/", views.dispatch_finish, name="dispatch_finish"),
    path("driver/", views.driver_page, name="driver"),
    path("driver/deliveries/<int:delivery_id>/<slug:action>/", views.driver_action, name="driver_action"),
]
