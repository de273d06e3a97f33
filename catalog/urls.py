from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("owner/stock/", views.stock_board, name="stock"),
    path("owner/stock/<int:item_id>/<str:day>/", views.stock_set, name="stock_set"),
]
