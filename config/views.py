from django.shortcuts import render
from django.views.decorators.http import require_GET

from casework.models import Organisation
from legal.models import LegalAct, Provision


@require_GET
def home(request):
    context = {
        "municipality_count": Organisation.objects.active().municipalities().count(),
        "county_count": Organisation.objects.active().counties().count(),
        "act_count": LegalAct.objects.count(),
        "provision_count": Provision.objects.count(),
    }
    return render(request, "home.html", context)


@require_GET
def accessibility_statement(request):
    return render(request, "accessibility.html")
