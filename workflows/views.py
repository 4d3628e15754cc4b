from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def task_execute(request, *args, **kwargs):
    """viewflow requires a view per human task node; our own task pages live in
    workflows.urls, so this entry point is never routed."""
    raise Http404
