from django.urls import path

from slots import views

app_name = "slots"
urlpatterns = [
    path("owner/slots/", views.slots_board, name="board"),
    path("owner/slots/<int:slot_id>/<slug:action>/", views.slot_board_action, name="board_action"),
]
