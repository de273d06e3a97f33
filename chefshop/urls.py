from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from chefshop.views import LoginView, healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("", include("orders.urls")),
    path("", include("slots.urls")),
    path("", include("deliveries.urls")),
    path("", include("catalog.urls")),
    path("payments/", include("payments.urls")),
]

handler500 = "chefshop.outage.server_error"
