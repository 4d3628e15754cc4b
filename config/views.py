from django.shortcuts import render
from django.views.decorators.http import require_GET

# The front page belongs to the public side: latest applications, decisions, key figures.
from trials.public_views import home as home


@require_GET
def accessibility_statement(request):
    return render(request, "accessibility.html")
