from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    path("orders/<uuid:public_id>/", views.panel, name="panel"),
    path("orders/<uuid:public_id>/pay/", views.pay, name="pay"),
    path("orders/<uuid:public_id>/check/", views.check, name="check"),
]
