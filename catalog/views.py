from django.shortcuts import render

from catalog.selectors import menu_categories


def menu(request):
    return render(request, "catalog/menu.html", {"categories": menu_categories()})
