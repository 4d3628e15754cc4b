from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from trials import selectors


@login_required
def application_list(request):
    applications = selectors.applications_for_user(request.user)
    return render(request, "trials/application_list.html", {"applications": applications})


@login_required
def application_detail(request, pk: int):
    application = selectors.application_get_for_user(request.user, pk)
    return render(request, "trials/application_detail.html", {"application": application})
