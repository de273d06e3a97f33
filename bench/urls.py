"""ChefShop's URLs plus /bench/trivial/: a small template, no database, the same middleware."""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import path

from chefshop.urls import urlpatterns as shop_urlpatterns


def trivial(request):
    # Rendered without the request: the context processors (cart, user) would query the database.
    return HttpResponse(render_to_string("bench/trivial.html", {"title": "ChefShop", "items": range(5)}))


urlpatterns = [path("bench/trivial/", trivial, name="bench-trivial"), *shop_urlpatterns]
